import * as vscode from 'vscode';
import type { DatastoreSummary } from '../../core/api/apiTypes';
import type { DatastoreClient } from '../../core/api/datastoreClient';
import { isDatastoreId } from '../../core/api/datastoreClient';
import { DdstoreError, errorMessage } from '../../core/errors';
import type { ConflictMode, DdstoreDocument } from '../../core/format/model';
import { CONFLICT_MODES } from '../../core/format/model';
import { parseDdstoreText } from '../../core/format/parseDocument';
import type { Logger } from '../../core/log';
import type { PushHistoryEntry, PushJournal } from '../../core/push/pushJournal';
import { hashText } from '../../core/push/pushJournal';
import { runPushJob } from '../../core/push/pushJob';
import { describeRange, MAX_ITEMS_PER_REQUEST } from '../../core/push/pushPlan';
import type { PushResult, RequestOutcome } from '../../core/push/pushTypes';
import { findSite } from '../../core/sites';
import type { DdstoreDiagnostic } from '../../core/validation/diagnostic';
import { validateDdstoreTextAsync } from '../../core/validation/validate';
import { defaultSite, pushTuning } from '../config/settings';
import type { ApiDiagnostics } from '../diagnostics/apiDiagnostics';
import type { LiveValidation } from '../diagnostics/liveValidation';
import type { WritesTreeProvider } from '../history/writesTreeProvider';
import type { KeyStore } from '../secrets/keyStore';
import { pickConflictMode, pickDatastore, pickSite, targetEdit } from '../target/targetPicker';
import { confirmPushIfUntrusted } from '../trust/untrustedPush';
import type { ClientFactory } from './clientFactory';

/** Arguments of `ddstore.push` for callers that want no prompts. */
export interface PushArguments {
  readonly site?: string;
  readonly datastoreId?: string;
  readonly conflictMode?: ConflictMode;
}

/** Result of `ddstore.push` for programmatic callers. */
export interface PushCommandResult {
  readonly pushId?: string;
  readonly itemsWritten: number;
  readonly itemCount: number;
  readonly result?: PushResult;
  readonly error?: string;
}

interface PreparedPush {
  readonly document: vscode.TextDocument;
  /** The text the items were parsed from; the journal's file hash is taken from it too. */
  readonly text: string;
  readonly parsed: DdstoreDocument;
  readonly items: readonly unknown[];
  readonly client: DatastoreClient;
  readonly datastore: DatastoreSummary;
  readonly conflictMode: ConflictMode;
}

/** Reason a push stopped before sending anything. */
interface StoppedBeforeSending {
  readonly stopped: string;
}

const CANCELLED: StoppedBeforeSending = { stopped: 'cancelled before sending' };

function countErrors(diagnostics: readonly DdstoreDiagnostic[]): number {
  return diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
}

/** Carries out pushes from the editor: target choice, confirmation, progress, results. */
export class PushController {
  private readonly running = new Set<string>();
  /** The cancellation source of each running push, by push id. */
  private readonly cancellers = new Map<string, AbortController>();

  constructor(
    private readonly deps: {
      readonly keyStore: KeyStore;
      readonly journal: PushJournal;
      readonly tree: WritesTreeProvider;
      readonly apiDiagnostics: ApiDiagnostics;
      readonly validation: LiveValidation;
      readonly clients: ClientFactory;
      readonly logger: Logger;
    },
  ) {}

  /**
   * Cancels a running push: its request in flight, any wait and any read-back stop at once. The
   * progress notification's Cancel button and `ddstore.writes.cancel` both end here. Returns
   * false when no push with that id is running.
   */
  cancel(pushId: string): boolean {
    const controller = this.cancellers.get(pushId);
    if (!controller) {
      return false;
    }
    this.deps.logger.info(`push ${pushId} cancelled by the user`);
    controller.abort();
    return true;
  }

  /** Implements `ddstore.push`. With a complete `args`, no question is asked. */
  async push(resource?: vscode.Uri, commandArgs?: PushArguments | vscode.Uri[]): Promise<PushCommandResult> {
    // From the Explorer, VS Code passes the selected URIs as the second argument.
    const args: PushArguments = commandArgs && !Array.isArray(commandArgs) ? commandArgs : {};
    const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
    if (!uri || !uri.path.endsWith('.ddstore.json')) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Open a .ddstore.json file to push, or run the command from its context menu.'));
      return { itemsWritten: 0, itemCount: 0, error: 'no .ddstore.json file' };
    }
    if (this.running.has(uri.toString())) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A push of this file is already running.'));
      return { itemsWritten: 0, itemCount: 0, error: 'already running' };
    }
    this.running.add(uri.toString());
    const interactive = !(args.site && args.datastoreId);
    let client: DatastoreClient | undefined;
    try {
      const prepared = await this.prepare(uri, args, interactive);
      if ('stopped' in prepared) {
        return { itemsWritten: 0, itemCount: 0, error: prepared.stopped };
      }
      client = prepared.client;
      return await this.execute(prepared, interactive);
    } catch (error) {
      return this.reportFailure(error);
    } finally {
      this.running.delete(uri.toString());
      await client?.close();
    }
  }

  private reportFailure(error: unknown): PushCommandResult {
    const message = errorMessage(error);
    this.deps.logger.error(`push failed: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Unable to push: {0}', message), vscode.l10n.t('Open Log')).then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand('ddstore.showLog');
      }
    });
    return { itemsWritten: 0, itemCount: 0, error: message };
  }

  /** Validates the file and settles target, keys and conflict mode, or returns the reason nothing will be sent. */
  private async prepare(uri: vscode.Uri, args: PushArguments, interactive: boolean): Promise<PreparedPush | StoppedBeforeSending> {
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.isDirty) {
      await document.save();
    }
    // One snapshot of the text: the items, both validations and the journal's file hash come
    // from it, so an edit made while the push is prepared cannot mix two versions of the file.
    // The push validates on its own rather than through live validation, whose next run
    // would abort this one.
    const text = document.getText();
    const first = await validateDdstoreTextAsync(text);
    const parsed = first.document;
    if (!parsed || countErrors(first.diagnostics) > 0) {
      return this.stopInvalid(document, countErrors(first.diagnostics));
    }

    const fileSite = parsed.datastore?.site;
    const site = args.site ?? fileSite ?? (interactive ? await pickSite(defaultSite(uri)) : undefined);
    if (!site) {
      return CANCELLED;
    }
    if (!findSite(site)) {
      throw new DdstoreError('invalid-target', `"${site}" is not a Datadog site. Fix "datastore.site" in the file or choose a site from the list.`);
    }
    const keys = interactive ? await this.deps.keyStore.getOrAsk(site) : await this.deps.keyStore.get(site);
    if (!keys) {
      if (!interactive) {
        throw new DdstoreError('missing-keys', `No keys are stored for ${site}. Run "ddstore: Set API and Application Keys" first.`);
      }
      return CANCELLED;
    }
    if (!(await this.confirmIfUntrusted(uri, site, args.datastoreId ?? parsed.datastore?.id))) {
      return { stopped: 'not confirmed in an untrusted workspace' };
    }
    const client = this.deps.clients.create(site, keys, pushTuning(uri).concurrency ?? 4);

    const datastoreId = args.datastoreId ?? parsed.datastore?.id;
    let chosen: DatastoreSummary | { id: string } | undefined;
    if (datastoreId) {
      if (!isDatastoreId(datastoreId)) {
        throw new DdstoreError('invalid-target', `"${datastoreId}" is not a datastore id. Datastore ids are UUIDs; fix "datastore.id" in the file.`);
      }
      chosen = { id: datastoreId };
    } else if (interactive) {
      chosen = await pickDatastore(client);
    }
    if (!chosen) {
      await client.close();
      return CANCELLED;
    }
    const datastore = 'primaryColumnName' in chosen ? chosen : await client.getDatastore(chosen.id);
    if (parsed.primaryKey && datastore.primaryColumnName && parsed.primaryKey !== datastore.primaryColumnName) {
      throw new DdstoreError(
        'invalid-input',
        `The file's primaryKey "${parsed.primaryKey}" does not match the primary column "${datastore.primaryColumnName}" of ${datastore.name}. Fix "primaryKey" or choose another datastore.`,
      );
    }
    // Live validation checks against the datastore's primary column from now on.
    this.deps.validation.setPrimaryKey(document, datastore.primaryColumnName);
    const second = await validateDdstoreTextAsync(text, { primaryKey: parsed.primaryKey ?? datastore.primaryColumnName });
    if (countErrors(second.diagnostics) > 0) {
      await client.close();
      return this.stopInvalid(document, countErrors(second.diagnostics));
    }

    let conflictMode = parsed.conflictMode ?? args.conflictMode;
    if (conflictMode && !CONFLICT_MODES.includes(conflictMode)) {
      throw new DdstoreError('invalid-input', `"${String(conflictMode)}" is not a conflict mode. Use fail_on_conflict or overwrite_on_conflict.`);
    }
    if (!conflictMode) {
      conflictMode = interactive ? await pickConflictMode() : 'fail_on_conflict';
    }
    if (!conflictMode) {
      await client.close();
      return CANCELLED;
    }

    const items = parsed.items.map((entry) => entry.value);
    if (interactive) {
      const requests = Math.ceil(items.length / MAX_ITEMS_PER_REQUEST);
      const write = vscode.l10n.t('Write');
      const answer = await vscode.window.showWarningMessage(
        requests === 1
          ? vscode.l10n.t('Write {0} item(s) in 1 request to {1} on {2} ({3})?', items.length, datastore.name, client.endpoint.site, conflictMode)
          : vscode.l10n.t('Write {0} items in {1} requests to {2} on {3} ({4})?', items.length, requests, datastore.name, client.endpoint.site, conflictMode),
        {
          modal: true,
          detail:
            conflictMode === 'overwrite_on_conflict'
              ? vscode.l10n.t('Stored items with the same keys will be replaced.')
              : vscode.l10n.t('Items whose keys already exist are not overwritten; their requests are rejected.'),
        },
        write,
      );
      if (answer !== write) {
        await client.close();
        return CANCELLED;
      }
      if (!parsed.datastore?.id || !parsed.datastore?.site) {
        void this.offerToSaveTarget(document, parsed, { site, id: datastore.id, conflictMode });
      }
    }
    return { document, text, parsed, items, client, datastore, conflictMode };
  }

  /** Asks before keys leave an untrusted workspace; true when the push may go ahead. */
  private async confirmIfUntrusted(uri: vscode.Uri, site: string, datastoreId: string | undefined): Promise<boolean> {
    const confirmed = await confirmPushIfUntrusted({
      file: vscode.workspace.asRelativePath(uri),
      site,
      origin: this.deps.clients.endpoint(site).origin,
      datastoreId,
      profile: this.deps.keyStore.profiles.activeName(site),
    });
    if (!confirmed) {
      this.deps.logger.info(`push of ${vscode.workspace.asRelativePath(uri)} to ${site} not confirmed in an untrusted workspace; nothing was sent`);
    }
    return confirmed;
  }

  /** Shows an invalid file's diagnostics and reports that nothing was sent. */
  private stopInvalid(document: vscode.TextDocument, errors: number): StoppedBeforeSending {
    this.deps.validation.validate(document).catch((error: unknown) => {
      this.deps.logger.debug(`showing the diagnostics of ${document.uri.fsPath} failed: ${errorMessage(error)}`);
    });
    this.showInvalid(document, errors);
    return { stopped: `invalid file: ${errors} error(s); nothing was sent` };
  }

  private showInvalid(document: vscode.TextDocument, errors: number): void {
    const problems = vscode.l10n.t('Show Problems');
    void vscode.window
      .showErrorMessage(
        vscode.l10n.t('{0} has {1} error(s); nothing was sent. Fix them and push again.', vscode.workspace.asRelativePath(document.uri), errors),
        problems,
      )
      .then((choice) => {
        if (choice === problems) {
          void vscode.commands.executeCommand('workbench.actions.view.problems');
        }
      });
  }

  private async offerToSaveTarget(
    document: vscode.TextDocument,
    parsed: DdstoreDocument,
    target: { site: string; id: string; conflictMode: ConflictMode },
  ): Promise<void> {
    const edit = targetEdit(document, parsed, target);
    if (!edit) {
      return;
    }
    const save = vscode.l10n.t('Save to File');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Save this datastore and site in {0}, so the next push needs no questions?', vscode.workspace.asRelativePath(document.uri)),
      save,
    );
    if (choice === save) {
      await vscode.workspace.applyEdit(edit);
    }
  }

  /** Sends the push with a cancellable progress notification and reports the outcome. */
  private async execute(prepared: PreparedPush, interactive: boolean, resume?: PushJobResume): Promise<PushCommandResult> {
    const { document, client, datastore, conflictMode, items } = prepared;
    const text = prepared.text;
    const total = items.length;
    const logger = this.deps.logger;
    let liveEntry: PushHistoryEntry | undefined;
    const outcomes = new Map<number, RequestOutcome>(resume?.entry.outcomes.map((outcome) => [outcome.index, outcome]) ?? []);

    const jobResult = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Pushing to {0} on {1}', datastore.name, client.endpoint.site),
        cancellable: true,
      },
      async (progress, token) => {
        const controller = new AbortController();
        let pushId: string | undefined;
        const subscription = token.onCancellationRequested(() => {
          if (!pushId || !this.cancel(pushId)) {
            controller.abort();
          }
        });
        let done = 0;
        const requestCount = resume ? resume.requestCount : Math.ceil(total / MAX_ITEMS_PER_REQUEST);
        try {
          return await runPushJob({
            file: document.uri.toString(),
            text,
            items,
            client,
            datastore,
            conflictMode,
            journal: this.deps.journal,
            tuning: pushTuning(document.uri),
            signal: controller.signal,
            logger,
            resume: resume ? { entry: resume.entry, only: resume.only } : undefined,
            onStart: (header) => {
              pushId = header.id;
              this.cancellers.set(header.id, controller);
              liveEntry = { header, outcomes: [...outcomes.values()] };
              this.deps.tree.updateLive(liveEntry);
            },
            observer: {
              onRequestDone: (outcome) => {
                done += 1;
                outcomes.set(outcome.index, outcome);
                progress.report({
                  increment: 100 / Math.max(1, requestCount),
                  message: vscode.l10n.t('{0} {1} ({2} of {3} requests)', describeRange(outcome), outcome.state, done, requestCount),
                });
                if (liveEntry) {
                  liveEntry = { header: liveEntry.header, outcomes: [...outcomes.values()].sort((a, b) => a.index - b.index) };
                  this.deps.tree.updateLive(liveEntry);
                }
              },
              onWait: (wait) => {
                progress.report({ message: vscode.l10n.t('Waiting for rate limit {0}: {1} s', wait.name ?? '', wait.seconds) });
              },
              onRetry: (range, attempt, reason) => {
                progress.report({ message: vscode.l10n.t('Retrying {0} (attempt {1}): {2}', describeRange(range), attempt, reason) });
              },
            },
          });
        } finally {
          subscription.dispose();
          if (pushId) {
            this.cancellers.delete(pushId);
          }
        }
      },
    );
    const { header, result } = jobResult;
    await this.deps.tree.endLive(header.id);

    const allOutcomes = [...outcomes.values()];
    const errors = allOutcomes.flatMap((outcome) => outcome.errors);
    this.deps.apiDiagnostics.set(document, errors, items);
    const written = allOutcomes.filter((o) => o.state === 'written').reduce((sum, o) => sum + o.end - o.start, 0);
    this.summarize(result, written, total, datastore.name, client.endpoint.site, interactive);
    return { pushId: header.id, itemsWritten: written, itemCount: total, result };
  }

  private summarize(result: PushResult, written: number, total: number, name: string, site: string, interactive: boolean): void {
    const showWrites = vscode.l10n.t('Show Writes');
    const openLog = vscode.l10n.t('Open Log');
    const handle = (choice: string | undefined): void => {
      if (choice === showWrites) void vscode.commands.executeCommand('ddstore.writes.focus');
      if (choice === openLog) void vscode.commands.executeCommand('ddstore.showLog');
    };
    if (written === total) {
      const message = vscode.l10n.t('Wrote {0} items to {1} on {2}.', total, name, site);
      if (interactive) void vscode.window.showInformationMessage(message, showWrites).then(handle);
      else void vscode.window.setStatusBarMessage(message, 5000);
      return;
    }
    const parts = [vscode.l10n.t('{0} of {1} items written to {2} on {3}', written, total, name, site)];
    if (result.itemsFailed) parts.push(vscode.l10n.t('{0} rejected', result.itemsFailed));
    if (result.itemsUnknown) parts.push(vscode.l10n.t('{0} unknown: sent, outcome not confirmed (Resume Push checks them)', result.itemsUnknown));
    if (result.itemsSkipped) parts.push(vscode.l10n.t('{0} not sent', result.itemsSkipped));
    const stopped = result.stopped ? ` ${result.stopped.message}` : '';
    void vscode.window.showWarningMessage(`${parts.join(', ')}.${stopped}`, showWrites, openLog).then(handle);
  }

  /**
   * Resumes an interrupted push, or retries its failed requests, in place. Without
   * `interactive` (a caller passed a push id), missing keys are an error instead of a prompt.
   */
  async resume(entry: PushHistoryEntry, only: 'unconfirmed' | 'failed', interactive = true): Promise<PushCommandResult> {
    const uri = vscode.Uri.parse(entry.header.file);
    if (this.running.has(uri.toString()) || this.deps.tree.isRunning(entry.header.id)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A push of this file is already running.'));
      return { itemsWritten: 0, itemCount: entry.header.itemCount, error: 'already running' };
    }
    this.running.add(uri.toString());
    let client: DatastoreClient | undefined;
    let pushAgain = false;
    let document: vscode.TextDocument;
    let text: string;
    try {
      document = await vscode.workspace.openTextDocument(uri);
      text = document.getText();
      if (hashText(text) !== entry.header.fileHash && !interactive) {
        void vscode.window.showWarningMessage(
          vscode.l10n.t('{0} changed since this push started, so its requests no longer match the file. Push the file again instead.', vscode.workspace.asRelativePath(uri)),
        );
        this.running.delete(uri.toString());
        return { itemsWritten: 0, itemCount: entry.header.itemCount, error: 'file changed' };
      }
      if (hashText(text) !== entry.header.fileHash) {
        const again = vscode.l10n.t('Push Again');
        const choice = await vscode.window.showWarningMessage(
          vscode.l10n.t('{0} changed since this push started, so its requests no longer match the file. Push the file again instead.', vscode.workspace.asRelativePath(uri)),
          again,
        );
        pushAgain = choice === again;
        if (!pushAgain) {
          return { itemsWritten: 0, itemCount: entry.header.itemCount, error: 'file changed' };
        }
      }
    } catch (error) {
      this.running.delete(uri.toString());
      return this.reportFailure(error);
    }
    if (pushAgain) {
      // The guard is released first, so the new push can take it for itself.
      this.running.delete(uri.toString());
      return this.push(uri);
    }
    try {
      const parsed = parseDdstoreText(text).document;
      if (!parsed) {
        throw new DdstoreError('invalid-input', 'The file no longer parses; fix it and push again.');
      }
      const keys = interactive ? await this.deps.keyStore.getOrAsk(entry.header.site) : await this.deps.keyStore.get(entry.header.site);
      if (!keys) {
        if (!interactive) {
          throw new DdstoreError('missing-keys', `No keys are stored for ${entry.header.site}. Run "ddstore: Set API and Application Keys" first.`);
        }
        return { itemsWritten: 0, itemCount: entry.header.itemCount, error: 'no keys' };
      }
      if (!(await this.confirmIfUntrusted(uri, entry.header.site, entry.header.datastoreId))) {
        return { itemsWritten: 0, itemCount: entry.header.itemCount, error: 'not confirmed in an untrusted workspace' };
      }
      client = this.deps.clients.create(entry.header.site, keys, pushTuning(uri).concurrency ?? 4);
      const datastore = await client.getDatastore(entry.header.datastoreId);
      const requestCount = entry.header.requests.filter((range) => {
        const outcome = entry.outcomes.find((o) => o.index === range.index);
        return outcome?.state !== 'written' && (only === 'unconfirmed' || outcome?.state === 'failed' || outcome?.state === 'unknown');
      }).length;
      return await this.execute(
        { document, text, parsed, items: parsed.items.map((item) => item.value), client, datastore, conflictMode: entry.header.conflictMode },
        false,
        { entry, only, requestCount },
      );
    } catch (error) {
      return this.reportFailure(error);
    } finally {
      this.running.delete(uri.toString());
      await client?.close();
    }
  }
}

interface PushJobResume {
  readonly entry: PushHistoryEntry;
  readonly only: 'unconfirmed' | 'failed';
  readonly requestCount: number;
}
