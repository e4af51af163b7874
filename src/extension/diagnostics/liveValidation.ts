import * as vscode from 'vscode';
import { LineIndex } from '../../core/format/lineIndex';
import type { TextSpan } from '../../core/format/model';
import type { Logger } from '../../core/log';
import type { DdstoreDiagnostic } from '../../core/validation/diagnostic';
import type { ValidateOptions } from '../../core/validation/validate';
import { validationDelayMs } from '../config/settings';
import type { ValidationReport } from '../editor/validationReport';
import { validateToReport } from '../editor/validationReport';
import { WorkerValidator } from '../editor/workerValidator';
import type { PrimaryKeyCache } from '../target/primaryKeyCache';
import { isDdstoreDocument } from './spans';
import { KeyedDebouncer } from '../util/keyedDebouncer';

const SEVERITY: Record<DdstoreDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/**
 * Texts of at least this many UTF-16 code units are validated in a worker thread: parsing
 * 1 MB takes about 10 ms, and the time grows with the size (about 0.4 s for 20 MB).
 */
export const WORKER_THRESHOLD_CHARS = 1_000_000;
/** Setting that limits which files are validated at all, in MB. */
export const MAX_FILE_SIZE_SETTING = 'ddstore.validation.maxFileSizeMB';
const DEFAULT_MAX_FILE_SIZE_MB = 64;

/** Turns core diagnostics into VS Code diagnostics with source `ddstore` and the stable code. */
export function toVscodeDiagnostics(document: vscode.TextDocument, diagnostics: readonly DdstoreDiagnostic[]): vscode.Diagnostic[] {
  return convertDiagnostics(document.uri, (offset) => document.positionAt(offset), diagnostics);
}

function convertDiagnostics(
  uri: vscode.Uri,
  positionAt: (offset: number) => vscode.Position,
  diagnostics: readonly DdstoreDiagnostic[],
): vscode.Diagnostic[] {
  const range = (span: TextSpan): vscode.Range => new vscode.Range(positionAt(span.offset), positionAt(span.offset + span.length));
  return diagnostics.map((item) => {
    const diagnostic = new vscode.Diagnostic(range(item.span), item.message, SEVERITY[item.severity]);
    diagnostic.source = 'ddstore';
    diagnostic.code = item.code;
    if (item.related && item.related.length > 0) {
      diagnostic.relatedInformation = item.related.map(
        (related) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range(related.span)), related.message),
      );
    }
    return diagnostic;
  });
}

/** The last validation of an open document. */
export interface ValidationState {
  readonly version: number;
  readonly report: ValidationReport;
  /** The primary column that items were checked against, when one was known. */
  readonly primaryKey?: string;
  readonly errors: number;
  readonly warnings: number;
}

/** Result of `validate`, as the push reads it. */
export interface ValidationOutcome {
  readonly diagnostics: readonly DdstoreDiagnostic[];
  readonly valid: boolean;
  readonly report: ValidationReport;
}

/**
 * Validates every open `.ddstore.json` as the user types, after a short pause. A newer edit
 * aborts the validation of the older text, so a large file never queues stale work. Files of
 * WORKER_THRESHOLD_CHARS or more are validated in a worker thread.
 */
export class LiveValidation implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('ddstore');
  private readonly debouncer = new KeyedDebouncer();
  private readonly running = new Map<string, AbortController>();
  private readonly primaryKeys = new Map<string, string>();
  private readonly states = new Map<string, ValidationState>();
  private readonly sizeWarnings = new Set<string>();
  private readonly worker: WorkerValidator;
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Files that the workspace validation reported; their problems stay when they are closed. */
  private readonly workspaceFiles = new Set<string>();
  /** Fires after the diagnostics of a document were replaced. */
  readonly onDidValidate = this.changed.event;

  constructor(
    private readonly logger: Logger,
    private readonly datastores?: PrimaryKeyCache,
  ) {
    this.worker = new WorkerValidator(logger);
    this.disposables.push(
      this.changed,
      this.worker,
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0) {
          this.schedule(event.document, validationDelayMs());
        }
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document)),
    );
    for (const document of vscode.workspace.textDocuments) {
      this.schedule(document, 0);
    }
  }

  /** Remembers the bound datastore's primary column for a file, then validates it again. */
  setPrimaryKey(document: vscode.TextDocument, primaryKey: string | undefined): void {
    const key = document.uri.toString();
    if (primaryKey) this.primaryKeys.set(key, primaryKey);
    else this.primaryKeys.delete(key);
    this.schedule(document, 0);
  }

  /** Returns the last validation of an open document when it matches the document's version. */
  stateOf(document: vscode.TextDocument): ValidationState | undefined {
    const state = this.states.get(document.uri.toString());
    return state && state.version === document.version ? state : undefined;
  }

  /** Validates now and returns the diagnostics, also showing them in the editor. */
  async validate(document: vscode.TextDocument, options: ValidateOptions = {}): Promise<ValidationOutcome> {
    const key = document.uri.toString();
    this.running.get(key)?.abort();
    const controller = new AbortController();
    this.running.set(key, controller);
    const version = document.version;
    try {
      const text = document.getText();
      const tooLarge = this.sizeGuard(document, text);
      if (tooLarge) {
        return { diagnostics: tooLarge.diagnostics, valid: false, report: tooLarge };
      }
      const primaryKey = options.primaryKey ?? this.primaryKeys.get(key) ?? this.boundPrimaryKey(key);
      const report = await this.run(text, { ...options, primaryKey }, controller.signal);
      if (!controller.signal.aborted && document.version === version && !document.isClosed) {
        this.publish(document, report, primaryKey);
        this.lookUpBoundDatastore(document, report, primaryKey);
      }
      return { diagnostics: report.diagnostics, valid: !report.diagnostics.some((d) => d.severity === 'error'), report };
    } finally {
      if (this.running.get(key) === controller) {
        this.running.delete(key);
      }
    }
  }

  /**
   * Validates a file that is not open, for the workspace validation, and reports its
   * diagnostics. Returns the report, or undefined when the file is open (live validation
   * covers it) or the file could not be read.
   */
  async validateClosedFile(uri: vscode.Uri, signal?: AbortSignal): Promise<ValidationReport> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    const text = new TextDecoder('utf-8').decode(bytes);
    const limit = maxFileSizeBytes();
    let report: ValidationReport;
    if (text.length > limit) {
      report = { diagnostics: [tooLargeDiagnostic(text.length, limit)] };
    } else {
      report = await this.run(text, {}, signal);
    }
    if (!vscode.workspace.textDocuments.some((document) => document.uri.toString() === uri.toString())) {
      const lines = new LineIndex(text);
      const positionAt = (offset: number): vscode.Position => {
        const position = lines.positionAt(offset);
        return new vscode.Position(position.line, position.character);
      };
      this.collection.set(uri, convertDiagnostics(uri, positionAt, report.diagnostics));
      this.workspaceFiles.add(uri.toString());
      this.changed.fire(uri);
    }
    return report;
  }

  private async run(text: string, options: ValidateOptions, signal: AbortSignal | undefined): Promise<ValidationReport> {
    if (text.length >= WORKER_THRESHOLD_CHARS && this.worker.available) {
      try {
        return await this.worker.validate(text, options, signal);
      } catch (error) {
        if (signal?.aborted) {
          throw error;
        }
        this.logger.warn(`validation in the worker thread failed, validating in the extension host instead: ${String(error)}`);
      }
    }
    return validateToReport(text, options, signal);
  }

  private publish(document: vscode.TextDocument, report: ValidationReport, primaryKey: string | undefined): void {
    const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = report.diagnostics.filter((d) => d.severity === 'warning').length;
    this.states.set(document.uri.toString(), { version: document.version, report, primaryKey, errors, warnings });
    this.collection.set(document.uri, toVscodeDiagnostics(document, report.diagnostics));
    this.changed.fire(document.uri);
  }

  /** Returns the primary column of the file's bound datastore when that datastore was read before. */
  private boundPrimaryKey(key: string): string | undefined {
    const target = this.states.get(key)?.report.summary?.datastore;
    if (!this.datastores || !target?.site || !target.id) {
      return undefined;
    }
    const datastore = this.datastores.peek(target.site, target.id);
    return datastore && datastore.primaryKeyGenerationStrategy !== 'uuid' ? datastore.primaryColumnName || undefined : undefined;
  }

  /**
   * Validates again with the bound datastore's primary column when this validation ran
   * without it: at once when the datastore was read before, else after reading it once.
   */
  private lookUpBoundDatastore(document: vscode.TextDocument, report: ValidationReport, primaryKeyUsed: string | undefined): void {
    const target = report.summary?.datastore;
    if (!this.datastores || !target?.site || !target.id || primaryKeyUsed !== undefined) {
      return;
    }
    if (this.datastores.peek(target.site, target.id)) {
      if (this.boundPrimaryKey(document.uri.toString()) !== undefined) {
        this.schedule(document, 0);
      }
      return;
    }
    void this.datastores.lookup(target.site, target.id).then((datastore) => {
      if (datastore && !document.isClosed) {
        this.changed.fire(document.uri);
        if (datastore.primaryColumnName && datastore.primaryKeyGenerationStrategy !== 'uuid') {
          this.schedule(document, 0);
        }
      }
    });
  }

  /** Returns a report with one diagnostic when the file is over the size limit, and shows a warning once per file. */
  private sizeGuard(document: vscode.TextDocument, text: string): ValidationReport | undefined {
    const limit = maxFileSizeBytes();
    const key = document.uri.toString();
    if (text.length <= limit) {
      this.sizeWarnings.delete(key);
      return undefined;
    }
    const report: ValidationReport = { diagnostics: [tooLargeDiagnostic(text.length, limit)] };
    this.publish(document, report, undefined);
    if (!this.sizeWarnings.has(key)) {
      this.sizeWarnings.add(key);
      const openSetting = vscode.l10n.t('Open Setting');
      void vscode.window
        .showWarningMessage(
          vscode.l10n.t(
            '{0} is {1} MB, more than the {2} MB that ddstore validates, so it is not checked and cannot be pushed. Split the file or raise the limit.',
            vscode.workspace.asRelativePath(document.uri),
            megabytes(text.length),
            megabytes(limit),
          ),
          openSetting,
        )
        .then((choice) => {
          if (choice === openSetting) {
            void vscode.commands.executeCommand('workbench.action.openSettings', MAX_FILE_SIZE_SETTING);
          }
        });
    }
    return report;
  }

  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (!isDdstoreDocument(document)) {
      return;
    }
    this.debouncer.schedule(document.uri.toString(), delayMs, () => {
      this.validate(document).catch((error: unknown) => {
        if (!(error instanceof Error && error.name === 'AbortError')) {
          this.logger.error(`validation of ${document.uri.fsPath} failed: ${String(error)}`);
        }
      });
    });
  }

  private forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.debouncer.cancel(key);
    this.running.get(key)?.abort();
    this.running.delete(key);
    this.states.delete(key);
    this.sizeWarnings.delete(key);
    if (this.workspaceFiles.has(key) && isDdstoreDocument(document) && document.uri.scheme === 'file') {
      // The workspace validation covers this file: show the problems of the saved file again.
      this.validateClosedFile(document.uri).catch((error: unknown) => {
        this.logger.warn(`validation of ${document.uri.fsPath} after closing it failed: ${String(error)}`);
        this.collection.delete(document.uri);
      });
      return;
    }
    this.collection.delete(document.uri);
  }

  dispose(): void {
    this.debouncer.dispose();
    for (const controller of this.running.values()) controller.abort();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function maxFileSizeBytes(): number {
  const value = vscode.workspace.getConfiguration().get<number>(MAX_FILE_SIZE_SETTING);
  const megabytesSetting = typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_FILE_SIZE_MB;
  return Math.round(megabytesSetting * 1024 * 1024);
}

function megabytes(characters: number): string {
  return (characters / 1024 / 1024).toFixed(1);
}

/** Builds the one diagnostic of a file over the size limit. Sizes are UTF-16 code units, which equal bytes for ASCII JSON. */
function tooLargeDiagnostic(characters: number, limit: number): DdstoreDiagnostic {
  return {
    code: 'file-too-large',
    severity: 'error',
    message:
      `The file has ${megabytes(characters)} MB, more than the ${megabytes(limit)} MB limit of ${MAX_FILE_SIZE_SETTING}, ` +
      'so it was not validated and cannot be pushed. Split it into smaller files or raise the setting.',
    span: { offset: 0, length: 0 },
  };
}
