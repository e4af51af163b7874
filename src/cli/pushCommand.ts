import type { ApiKeys } from '../core/api/datastoreClient';
import { DatastoreClient, isDatastoreId } from '../core/api/datastoreClient';
import { createDispatcher, proxyFromEnvironment } from '../core/api/dispatcherFactory';
import { resolveEndpoint } from '../core/api/endpoint';
import { DdstoreError, errorMessage } from '../core/errors';
import { LineIndex } from '../core/format/lineIndex';
import { locateInItem } from '../core/format/locate';
import type { ConflictMode } from '../core/format/model';
import { CONFLICT_MODES } from '../core/format/model';
import { defaultRedactor } from '../core/log';
import { PUSH_DEFAULTS } from '../core/push/pushEngine';
import { runPushJob } from '../core/push/pushJob';
import { describeRange } from '../core/push/pushPlan';
import type { PushResult } from '../core/push/pushTypes';
import { DEFAULT_SITE } from '../core/sites';
import type { DdstoreDiagnostic } from '../core/validation/diagnostic';
import { validateDdstoreText } from '../core/validation/validate';
import { cliLogger } from './cliLogger';
import { readInputFile } from './inputFile';
import type { CliIo } from './io';
import { EXIT_INVALID, EXIT_NOT_WRITTEN, EXIT_OK } from './io';
import { formatDiagnosticLine, toJsonDiagnostic } from './diagnosticOutput';

export interface PushCommandOptions {
  readonly json: boolean;
  readonly site?: string;
  readonly datastore?: string;
  readonly conflictMode?: string;
  readonly concurrency?: string;
  /** Timeout of one request, in seconds, as typed. */
  readonly timeout?: string;
}

/** On a stderr that is not a terminal, a running rate-limit wait is reported again after this long. */
const WAIT_REPORT_INTERVAL_MS = 10_000;

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

function fail(io: CliIo, json: boolean, file: string, message: string, extra: Record<string, unknown> = {}): number {
  const safe = defaultRedactor.redact(message);
  if (json) {
    io.stdout(`${JSON.stringify({ file, ok: false, error: safe, ...extra }, null, 2)}\n`);
  } else {
    io.stderr(`ddstore: ${safe}\n`);
  }
  return EXIT_INVALID;
}

/** Implements `ddstore push`: validate, resolve the target, push, report; nothing is sent for an invalid file. */
export async function pushCommand(file: string, options: PushCommandOptions, io: CliIo): Promise<number> {
  const { json } = options;
  const input = await readInputFile(file, io);
  if ('error' in input) {
    return fail(io, json, file, input.error);
  }
  const text = input.text;
  file = input.name;

  const conflictModeText = options.conflictMode;
  if (conflictModeText !== undefined && !CONFLICT_MODES.includes(conflictModeText as ConflictMode)) {
    return fail(io, json, file, `--conflict-mode "${conflictModeText}" is not valid. Use fail_on_conflict or overwrite_on_conflict.`);
  }
  const concurrency = options.concurrency === undefined ? PUSH_DEFAULTS.concurrency : Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    return fail(io, json, file, `--concurrency "${options.concurrency}" is not valid. Use a whole number from 1 to 32.`);
  }
  const timeoutSeconds = options.timeout === undefined ? PUSH_DEFAULTS.timeoutMs / 1000 : Number(options.timeout);
  if (options.timeout?.trim() === '' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) {
    return fail(io, json, file, `--timeout "${options.timeout}" is not valid. Use a number of seconds from 1 to 600.`);
  }

  const initial = validateDdstoreText(text);
  const document = initial.document;
  if (!document || initial.diagnostics.some((d) => d.severity === 'error')) {
    return reportInvalid(io, json, file, text, initial.diagnostics);
  }

  const site = options.site ?? document.datastore?.site ?? io.env.DD_SITE ?? DEFAULT_SITE;
  const datastoreId = options.datastore ?? document.datastore?.id;
  if (!datastoreId) {
    return fail(io, json, file, `No datastore to push to. Pass --datastore <id>, or add "datastore": {"id": "<uuid>"} to ${file}.`);
  }
  if (!isDatastoreId(datastoreId)) {
    return fail(io, json, file, `"${datastoreId}" is not a datastore id. Datastore ids are UUIDs; copy it from the datastore's page in Datadog.`);
  }
  const keys: ApiKeys | undefined =
    io.env.DD_API_KEY && io.env.DD_APP_KEY ? { apiKey: io.env.DD_API_KEY, appKey: io.env.DD_APP_KEY } : undefined;
  if (!keys) {
    return fail(io, json, file, 'DD_API_KEY and DD_APP_KEY must both be set to push. Create an application key with the apps_datastore_write permission in Datadog.');
  }
  defaultRedactor.add(keys.apiKey);
  defaultRedactor.add(keys.appKey);

  const logger = cliLogger(io);
  let client: DatastoreClient;
  try {
    // An empty DDSTORE_API_URL means unset; a value of only whitespace is rejected by resolveEndpoint.
    const override = io.env.DDSTORE_API_URL !== undefined ? { value: io.env.DDSTORE_API_URL, source: 'DDSTORE_API_URL' } : undefined;
    const endpoint = resolveEndpoint(site, override);
    const dispatcher = createDispatcher({ proxy: proxyFromEnvironment(io.env), connections: concurrency, env: io.env, logger });
    client = new DatastoreClient(endpoint, keys, {
      connections: concurrency,
      defaultTimeoutMs: timeoutSeconds * 1000,
      dispatcher,
      ownsDispatcher: true,
      userAgent: 'ddstore-cli',
      logger,
    });
  } catch (error) {
    return fail(io, json, file, errorMessage(error));
  }

  try {
    const datastore = await client.getDatastore(datastoreId, { signal: io.signal });
    if (document.primaryKey && datastore.primaryColumnName && document.primaryKey !== datastore.primaryColumnName) {
      return fail(
        io,
        json,
        file,
        `The file's primaryKey "${document.primaryKey}" does not match the primary column "${datastore.primaryColumnName}" of datastore ${datastore.name}. Fix "primaryKey" or choose another datastore.`,
      );
    }
    const checked = validateDdstoreText(text, { primaryKey: document.primaryKey ?? datastore.primaryColumnName });
    if (!checked.document || checked.diagnostics.some((d) => d.severity === 'error')) {
      return reportInvalid(io, json, file, text, checked.diagnostics);
    }
    const conflictMode = (conflictModeText as ConflictMode | undefined) ?? document.conflictMode ?? 'fail_on_conflict';
    const items = checked.document.items.map((entry) => entry.value);
    if (!json) {
      io.stderr(`Writing ${plural(items.length, 'item')} in ${plural(Math.ceil(items.length / 100), 'request')} to ${datastore.name} on ${client.endpoint.site} (${conflictMode})\n`);
    }
    let lastWaitReport = Number.NEGATIVE_INFINITY;
    const { result } = await runPushJob({
      file,
      text,
      items,
      client,
      datastore,
      conflictMode,
      tuning: { concurrency, timeoutMs: timeoutSeconds * 1000 },
      signal: io.signal,
      logger,
      observer: json
        ? undefined
        : {
            onRequestDone: (outcome) => {
              io.stderr(`  ${defaultRedactor.redact(describeOutcome(outcome))}\n`);
            },
            onWait: (wait) => {
              // A terminal shows a countdown; a log file gets the start of a wait and then a
              // line every WAIT_REPORT_INTERVAL_MS, not one line per second.
              const now = Date.now();
              if (!io.stderrIsTTY && !wait.starting && now - lastWaitReport < WAIT_REPORT_INTERVAL_MS) {
                return;
              }
              lastWaitReport = now;
              const name = wait.name ? ` ${wait.name}` : '';
              io.stderr(defaultRedactor.redact(`  waiting for the rate limit${name}: ${wait.seconds} s${wait.afterRejection ? ' (after HTTP 429)' : ''}\n`));
            },
          },
    });
    return report(io, json, file, text, checked.document, result, { site: client.endpoint.site, datastore, conflictMode });
  } catch (error) {
    const code = error instanceof DdstoreError ? error.code : 'error';
    return fail(io, json, file, errorMessage(error), { code });
  } finally {
    await client.close();
  }
}

/** Formats the progress line of one request: its items, state, HTTP status and message. */
function describeOutcome(outcome: PushResult['outcomes'][number]): string {
  const message = outcome.message && outcome.state !== 'written' ? outcome.message : '';
  const status = outcome.httpStatus && !message.startsWith(`HTTP ${outcome.httpStatus}`) ? ` (HTTP ${outcome.httpStatus})` : '';
  const stored = outcome.state === 'written' && outcome.alreadyStored ? ` (${outcome.alreadyStored} already stored, identical)` : '';
  return `${describeRange(outcome)}: ${outcome.state}${status}${stored}${message ? ` ${message}` : ''}`;
}

function reportInvalid(io: CliIo, json: boolean, file: string, text: string, diagnostics: readonly DdstoreDiagnostic[]): number {
  const lines = new LineIndex(text);
  if (json) {
    io.stdout(`${JSON.stringify({ file, ok: false, error: 'The file is invalid; nothing was sent.', diagnostics: diagnostics.map((d) => toJsonDiagnostic(d, lines)) }, null, 2)}\n`);
  } else {
    for (const diagnostic of diagnostics) {
      io.stderr(`${formatDiagnosticLine(file, diagnostic, lines)}\n`);
    }
    io.stderr(`ddstore: ${file} is invalid; nothing was sent. Fix the errors above and push again.\n`);
  }
  return EXIT_INVALID;
}

function report(
  io: CliIo,
  json: boolean,
  file: string,
  text: string,
  document: Parameters<typeof locateInItem>[1],
  result: PushResult,
  target: { site: string; datastore: { id: string; name: string }; conflictMode: ConflictMode },
): number {
  const lines = new LineIndex(text);
  const diagnostics: DdstoreDiagnostic[] = result.outcomes.flatMap((outcome) =>
    outcome.errors.map((error) => ({
      code: error.code,
      severity: 'error' as const,
      message: error.message,
      span: locateInItem(text, document, error.itemIndex, error.path),
      itemIndex: error.itemIndex,
    })),
  );
  const total = result.itemsWritten + result.itemsFailed + result.itemsUnknown + result.itemsSkipped;
  const ok = result.itemsWritten === total;
  if (json) {
    const output = {
      file,
      ok,
      site: target.site,
      datastore: target.datastore,
      conflictMode: target.conflictMode,
      items: total,
      itemsWritten: result.itemsWritten,
      itemsFailed: result.itemsFailed,
      itemsUnknown: result.itemsUnknown,
      itemsNotSent: result.itemsSkipped,
      itemsAlreadyStored: result.itemsAlreadyStored,
      stopped: result.stopped,
      stats: result.stats,
      requests: result.outcomes.map((outcome) => ({
        index: outcome.index,
        firstItem: outcome.start + 1,
        lastItem: outcome.end,
        state: outcome.state,
        httpStatus: outcome.httpStatus,
        alreadyStored: outcome.alreadyStored,
        attempts: outcome.attempts,
        durationMs: outcome.durationMs,
        message: outcome.message,
      })),
      diagnostics: diagnostics.map((d) => toJsonDiagnostic(d, lines)),
    };
    io.stdout(`${defaultRedactor.redact(JSON.stringify(output, null, 2))}\n`);
  } else {
    for (const diagnostic of diagnostics) {
      io.stderr(`${defaultRedactor.redact(formatDiagnosticLine(file, diagnostic, lines))}\n`);
    }
    // itemsWritten counts the items found already stored, identical, after a conflict; the
    // summary names them apart, since this push may not have written them.
    const byThisPush = result.itemsWritten - result.itemsAlreadyStored;
    const parts = [`${byThisPush.toLocaleString('en-US')} of ${plural(total, 'item')} written to ${target.datastore.name} on ${target.site}`];
    if (result.itemsAlreadyStored) parts.push(`${result.itemsAlreadyStored.toLocaleString('en-US')} already stored, identical`);
    if (result.itemsFailed) parts.push(`${result.itemsFailed.toLocaleString('en-US')} rejected`);
    if (result.itemsUnknown) parts.push(`${result.itemsUnknown.toLocaleString('en-US')} unknown: sent, outcome not confirmed`);
    if (result.itemsSkipped) parts.push(`${result.itemsSkipped.toLocaleString('en-US')} not sent`);
    const stopped = result.stopped ? ` Stopped: ${defaultRedactor.redact(result.stopped.message)}` : '';
    const next = result.itemsUnknown
      ? ' Push the file again to check the unknown items: with fail_on_conflict, items found stored identical count as already stored; with overwrite_on_conflict, they are written again.'
      : '';
    io.stdout(`${parts.join(', ')}.${stopped}${next}\n`);
  }
  return ok ? EXIT_OK : EXIT_NOT_WRITTEN;
}
