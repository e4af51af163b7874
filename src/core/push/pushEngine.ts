import { describeAuthFailure, describeHttpError, describeHttpErrors, isConflictResponse } from '../api/apiError';
import type { ApiErrorEntry, StoredItem } from '../api/apiTypes';
import type { ApiResult, CallOptions } from '../api/datastoreClient';
import { DdstoreError, errorMessage, isCancellation } from '../errors';
import type { ConflictMode } from '../format/model';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { abortableSleep, backoffDelay } from './abortableSleep';
import { canonicalJson, mapErrorsToItems } from './itemErrors';
import type { RequestRange } from './pushPlan';
import { describeRange, planRequests } from './pushPlan';
import type { ItemError, PushResult, PushStats, RequestOutcome } from './pushTypes';
import type { RateLimitWait } from './rateLimitPacer';
import { RateLimitPacer } from './rateLimitPacer';

/** The API calls a push needs; `DatastoreClient` implements it. */
export interface BulkWriter {
  readonly endpoint: { readonly site: string };
  bulkWrite(datastoreId: string, values: readonly unknown[], conflictMode: ConflictMode, options?: CallOptions): Promise<ApiResult>;
  findItemByKey(datastoreId: string, key: string, options?: CallOptions): Promise<StoredItem | undefined>;
}

export interface PushObserver {
  onRequestStart?(range: RequestRange, attempt: number): void;
  /** Called once per request in completion order; the push waits for the returned promise (a journal append). */
  onRequestDone?(outcome: RequestOutcome): void | Promise<void>;
  onWait?(wait: RateLimitWait): void;
  onRetry?(range: RequestRange, attempt: number, reason: string, delayMs: number): void;
}

export interface PushOptions {
  readonly client: BulkWriter;
  readonly datastoreId: string;
  readonly items: readonly unknown[];
  readonly conflictMode: ConflictMode;
  /** The datastore's primary column; needed to read items back after an uncertain retry. */
  readonly primaryKey?: string;
  /** Requests to send; all of the file's requests when omitted (a resume passes a subset). */
  readonly requests?: readonly RequestRange[];
  /** Requests that an earlier push may already have committed, so a conflict on them is checked. */
  readonly uncertainRequests?: ReadonlySet<number>;
  readonly concurrency?: number;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Maximum single wait for a rate-limit window, in milliseconds. */
  readonly maxRateLimitWaitMs?: number;
  /** Number of 429 responses one request may receive before it counts as failed. */
  readonly maxRateLimitRetries?: number;
  readonly signal?: AbortSignal;
  readonly observer?: PushObserver;
  readonly logger?: Logger;
  readonly random?: () => number;
}

export const PUSH_DEFAULTS = {
  // At 50 ms per request, 8 requests in flight reach 16,000 items/s before a rate limit applies;
  // 4 would stay under 5 times a sequential loop once the client's own overhead is counted.
  concurrency: 8,
  maxAttempts: 5,
  timeoutMs: 30_000,
  backoffBaseMs: 500,
  backoffCapMs: 20_000,
  maxRateLimitWaitMs: 120_000,
  maxRateLimitRetries: 20,
} as const;

/** Failures after which the server may already have committed the request. */
function mayHaveCommitted(error: unknown): boolean {
  if (!(error instanceof DdstoreError)) {
    return true;
  }
  if (isLocalFailure(error)) {
    return false;
  }
  if (error.code === 'network-error') {
    const text = `${error.message} ${errorMessage(error.cause)}`;
    // The connection was never made, so nothing reached the server.
    return !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_CONNECT_TIMEOUT/.test(text);
  }
  return true;
}

/** Errors raised before a request left this process: sending it again cannot help. */
function isLocalFailure(error: unknown): boolean {
  return error instanceof DdstoreError && (error.code === 'request-not-sent' || error.code === 'invalid-target');
}

/**
 * Tells whether a 2xx bulk-write body confirms every value. The documented success body is
 * `{"data":[{"id","type":"items"}, ...]}` with one entry per value. Anything else (`{}`, an
 * `errors` list, fewer ids, 204 with no body) leaves it open whether the items were stored.
 */
function describeUnconfirmedSuccess(status: number, json: unknown, valueCount: number): string | undefined {
  const data = (json as { data?: unknown } | null | undefined)?.data;
  if (Array.isArray(data) && data.length === valueCount) {
    return undefined;
  }
  if (json === undefined) {
    return `HTTP ${status} with no body`;
  }
  if (!Array.isArray(data)) {
    const errors = (json as { errors?: unknown } | null)?.errors;
    return `HTTP ${status} with ${Array.isArray(errors) ? 'an "errors" list' : 'no "data" array'} in the body`;
  }
  return `HTTP ${status} with ${data.length} ${data.length === 1 ? 'id' : 'ids'} for ${valueCount} ${valueCount === 1 ? 'value' : 'values'}`;
}

interface ReadBackResult {
  identical: number[];
  differing: number[];
  missing: number[];
}

/** Runs one push: sends the requests, retries what may be retried, and accounts for every item. */
export async function runPush(options: PushOptions): Promise<PushResult> {
  return new PushRun(options).run();
}

class PushRun {
  private readonly logger: Logger;
  private readonly pacer: RateLimitPacer;
  private readonly stats: PushStats = { requestsSent: 0, retries: 0, rateLimited: 0, readBacks: 0, falseConflictsAvoided: 0 };
  private stopped: PushResult['stopped'];
  private readonly random: () => number;

  constructor(private readonly options: PushOptions) {
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.pacer = new RateLimitPacer({
      maxWaitMs: options.maxRateLimitWaitMs ?? PUSH_DEFAULTS.maxRateLimitWaitMs,
      random: this.random,
      onWait: (wait) => {
        if (wait.starting) {
          this.logger.info(`waiting ${wait.seconds} s for the rate limit${wait.name ? ` ${wait.name}` : ''}${wait.afterRejection ? ' after HTTP 429' : ''}`);
        }
        options.observer?.onWait?.(wait);
      },
    });
  }

  async run(): Promise<PushResult> {
    const { items, signal } = this.options;
    const requests = this.options.requests ?? planRequests(items.length);
    const outcomes = new Map<number, RequestOutcome>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!this.stopped && !signal?.aborted && next < requests.length) {
        const range = requests[next];
        next += 1;
        const outcome = await this.sendRequest(range);
        outcomes.set(range.index, outcome);
        await this.options.observer?.onRequestDone?.(outcome);
      }
    };
    const concurrency = Math.max(1, Math.min(this.options.concurrency ?? PUSH_DEFAULTS.concurrency, requests.length));
    await Promise.all(Array.from({ length: concurrency }, worker));

    if (signal?.aborted && !this.stopped) {
      this.stopped = { code: 'cancelled', message: 'The push was cancelled.' };
    }
    const ordered: RequestOutcome[] = [];
    for (const range of requests) {
      const outcome = outcomes.get(range.index);
      if (outcome) {
        ordered.push(outcome);
        continue;
      }
      // A request that an earlier push may have committed stays unknown until a push confirms it.
      const wasUncertain = this.options.uncertainRequests?.has(range.index) ?? false;
      const reason = this.stopped ? this.stopped.message : 'the push ended first.';
      const skipped: RequestOutcome = {
        ...range,
        state: wasUncertain ? 'unknown' : 'skipped',
        durationMs: 0,
        attempts: 0,
        message: wasUncertain ? `Not sent again (${reason}); an earlier attempt may have been committed.` : `Not sent: ${reason}`,
        errors: [],
      };
      ordered.push(skipped);
      await this.options.observer?.onRequestDone?.(skipped);
    }
    return summarize(ordered, this.stats, this.stopped);
  }

  private outcome(range: RequestRange, fields: Omit<RequestOutcome, keyof RequestRange>): RequestOutcome {
    return { index: range.index, start: range.start, end: range.end, ...fields };
  }

  private async sendRequest(range: RequestRange): Promise<RequestOutcome> {
    const { client, datastoreId, conflictMode, signal } = this.options;
    const maxAttempts = this.options.maxAttempts ?? PUSH_DEFAULTS.maxAttempts;
    const maxRateLimited = this.options.maxRateLimitRetries ?? PUSH_DEFAULTS.maxRateLimitRetries;
    const started = performance.now();
    let indices = range.end > range.start ? Array.from({ length: range.end - range.start }, (_, i) => range.start + i) : [];
    let values = indices.map((index) => this.options.items[index]);
    let uncertain = this.options.uncertainRequests?.has(range.index) ?? false;
    let confirmedByReadBack = false;
    /** Items of this request that reading back found already stored, identical to the file. */
    let alreadyStored = 0;
    let attempts = 0;
    let rateLimited = 0;
    let lastStatus: number | undefined;
    let lastProblem = '';
    const elapsed = (): number => Math.round(performance.now() - started);

    const unsentState = (): RequestOutcome['state'] => {
      if (uncertain) {
        return 'unknown';
      }
      return attempts > 0 ? 'failed' : 'skipped';
    };
    const endUnsent = (reason = 'the push was cancelled'): RequestOutcome =>
      this.outcome(range, {
        state: unsentState(),
        httpStatus: lastStatus,
        durationMs: elapsed(),
        attempts,
        message: uncertain
          ? `Stopped (${reason}) after an attempt that may have been committed (${lastProblem || 'no answer'}); whether these items were written is unknown.`
          : attempts > 0
            ? `Stopped (${reason}) after a failed attempt: ${lastProblem}`
            : `Not sent: ${reason}.`,
        errors: [],
      });

    for (;;) {
      if (this.stopped && this.stopped.code === 'auth-failed') {
        return endUnsent(this.stopped.message);
      }
      try {
        await this.pacer.acquire(signal);
      } catch {
        return endUnsent();
      }
      attempts += 1;
      this.stats.requestsSent += 1;
      this.options.observer?.onRequestStart?.(range, attempts);

      let result: ApiResult;
      try {
        result = await client.bulkWrite(datastoreId, values, conflictMode, {
          signal,
          timeoutMs: this.options.timeoutMs ?? PUSH_DEFAULTS.timeoutMs,
        });
      } catch (error) {
        this.pacer.release();
        if (isCancellation(error) || signal?.aborted) {
          // The request was on the wire when it was aborted, so the server may have committed it.
          uncertain = true;
          lastProblem = 'cancelled in flight';
          return endUnsent();
        }
        lastProblem = errorMessage(error);
        if (isLocalFailure(error)) {
          // Nothing left this process, so a retry would fail the same way.
          this.logger.error(`${describeRange(range)}: not sent: ${lastProblem}`);
          return this.outcome(range, {
            state: uncertain ? 'unknown' : 'failed',
            durationMs: elapsed(),
            attempts,
            message: uncertain ? `${lastProblem} An earlier attempt may have been committed; whether these items were written is unknown.` : lastProblem,
            errors: [],
          });
        }
        uncertain = uncertain || mayHaveCommitted(error);
        this.logger.warn(`${describeRange(range)}: attempt ${attempts} failed: ${lastProblem}`);
        if (attempts >= maxAttempts) {
          return this.outcome(range, {
            state: uncertain ? 'unknown' : 'failed',
            durationMs: elapsed(),
            attempts,
            message: `${withPeriod(lastProblem)} Gave up after ${attempts} attempts${uncertain ? '; the server may have committed an attempt, so whether these items were written is unknown' : ''}.`,
            errors: [],
          });
        }
        if (!(await this.backoff(range, attempts, lastProblem))) {
          return endUnsent();
        }
        continue;
      }

      this.pacer.observe(result.rateLimit, result.status);
      lastStatus = result.status;
      if (result.ok) {
        const unconfirmed = describeUnconfirmedSuccess(result.status, result.json, values.length);
        if (unconfirmed === undefined) {
          return this.outcome(range, { state: 'written', httpStatus: result.status, durationMs: elapsed(), attempts, confirmedByReadBack, alreadyStored, errors: [] });
        }
        return this.checkUnconfirmedSuccess(range, unconfirmed, result.status, values, indices, { attempts, alreadyStored, elapsed });
      }

      if (result.status === 429) {
        this.stats.rateLimited += 1;
        rateLimited += 1;
        attempts -= 1;
        lastProblem = describeHttpErrors(429, result.errors);
        if (rateLimited > maxRateLimited) {
          return this.outcome(range, {
            state: uncertain ? 'unknown' : 'failed',
            httpStatus: 429,
            durationMs: elapsed(),
            attempts: attempts + 1,
            message: `Rate limited ${rateLimited} times in a row; the rate limit${result.rateLimit.name ? ` ${result.rateLimit.name}` : ''} leaves no room. Try again later or ask Datadog support to raise it.`,
            errors: [],
          });
        }
        this.stats.retries += 1;
        this.logger.info(`${describeRange(range)}: HTTP 429, waiting for the rate-limit reset`);
        continue;
      }

      if (result.status === 401 || result.status === 403) {
        const message = describeAuthFailure(result.status, client.endpoint.site, result.errors, 'apps_datastore_write');
        if (!this.stopped) {
          this.stopped = { code: 'auth-failed', message };
          this.logger.error(`push stopped: ${message}`);
        }
        return this.outcome(range, {
          state: uncertain ? 'unknown' : 'failed',
          httpStatus: result.status,
          durationMs: elapsed(),
          attempts,
          message,
          errors: mapErrorsToItems(result.status, result.errors, indices.slice(0, 1), values.slice(0, 1)),
        });
      }

      if (result.status >= 500 || result.status === 408) {
        uncertain = true;
        lastProblem = describeHttpErrors(result.status, result.errors);
        this.logger.warn(`${describeRange(range)}: attempt ${attempts} failed: ${lastProblem}`);
        if (attempts >= maxAttempts) {
          return this.outcome(range, {
            state: 'unknown',
            httpStatus: result.status,
            durationMs: elapsed(),
            attempts,
            message: `${withPeriod(lastProblem)} Gave up after ${attempts} attempts; the server may have committed an attempt, so whether these items were written is unknown.`,
            errors: mapErrorsToItems(result.status, result.errors, indices.slice(0, 1), values.slice(0, 1)),
          });
        }
        if (!(await this.backoff(range, attempts, lastProblem))) {
          return endUnsent();
        }
        continue;
      }

      // Conflict rule: with fail_on_conflict, a conflict is checked by reading the request's items
      // back whenever the primary key is known, whether or not an earlier attempt was uncertain.
      // Items stored identical to what was sent count as written ("already stored, identical").
      // Absent items are sent again on their own. Any item stored with other values makes the
      // request a conflict, and then nothing in it was written.
      const conflict = conflictMode === 'fail_on_conflict' && isConflictResponse(result.status, result.errors);
      if (conflict && this.options.primaryKey) {
        let check: ReadBackResult;
        try {
          check = await this.readBack(values, indices);
        } catch (error) {
          if (isCancellation(error)) {
            return endUnsent();
          }
          this.logger.error(`${describeRange(range)}: reading items back failed: ${errorMessage(error)}`);
          return this.outcome(range, {
            state: uncertain ? 'unknown' : 'failed',
            httpStatus: result.status,
            durationMs: elapsed(),
            attempts,
            message: `The server reported a conflict and reading the items back failed (${errorMessage(error)}).`,
            errors: mapErrorsToItems(result.status, result.errors, indices, values, 'conflict'),
          });
        }
        if (check.differing.length === 0) {
          this.stats.falseConflictsAvoided += 1;
          confirmedByReadBack = true;
          alreadyStored += check.identical.length;
          if (check.missing.length === 0) {
            this.logger.info(`${describeRange(range)}: conflict, but every item is already stored identical to the file, so the request counts as written`);
            return this.outcome(range, { state: 'written', httpStatus: result.status, durationMs: elapsed(), attempts, confirmedByReadBack, alreadyStored, errors: [] });
          }
          if (attempts >= maxAttempts) {
            return this.outcome(range, {
              state: 'unknown',
              httpStatus: result.status,
              durationMs: elapsed(),
              attempts,
              message: `The server reported a conflict for items that reading back did not find (${check.missing.length} of ${indices.length}). Gave up after ${attempts} attempts; whether these items were written is unknown.`,
              errors: [],
            });
          }
          // Some items are stored as sent and the rest are absent: send only the absent ones.
          indices = check.missing;
          values = indices.map((index) => this.options.items[index]);
          continue;
        }
        if (check.differing.length > 0) {
          const key = this.options.primaryKey;
          const errors: ItemError[] = check.differing.map((itemIndex) => ({
            itemIndex,
            path: [key],
            code: 'conflict',
            httpStatus: result.status,
            message: `An item with ${key} ${JSON.stringify((this.options.items[itemIndex] as Record<string, unknown>)[key])} already exists with different values, and the conflict mode is fail_on_conflict. Set "conflictMode": "overwrite_on_conflict" to replace it, or change the key.`,
          }));
          return this.outcome(range, {
            state: 'failed',
            httpStatus: result.status,
            durationMs: elapsed(),
            attempts,
            message: `HTTP ${result.status}: ${check.differing.length} ${check.differing.length === 1 ? 'item conflicts with a stored item' : 'items conflict with stored items'}; nothing in this request was written.`,
            errors,
          });
        }
      }

      const errors = mapErrorsToItems(result.status, result.errors, indices, values, conflict ? 'conflict' : 'api-error');
      return this.outcome(range, {
        state: 'failed',
        httpStatus: result.status,
        durationMs: elapsed(),
        attempts,
        message: summarizeErrors(result.status, result.errors),
        errors,
      });
    }
  }

  /**
   * Settles a 2xx response that does not confirm every value: the items count as written only
   * when reading them back finds each one stored as sent, and as unknown otherwise.
   */
  private async checkUnconfirmedSuccess(
    range: RequestRange,
    problem: string,
    status: number,
    values: readonly unknown[],
    indices: readonly number[],
    progress: { attempts: number; alreadyStored: number; elapsed: () => number },
  ): Promise<RequestOutcome> {
    const unknown = (detail: string): RequestOutcome =>
      this.outcome(range, {
        state: 'unknown',
        httpStatus: status,
        durationMs: progress.elapsed(),
        attempts: progress.attempts,
        message: `The server returned ${problem} instead of one id per item, and ${detail}; whether these items were written is unknown.`,
        errors: [],
      });
    this.logger.warn(`${describeRange(range)}: the server returned ${problem}; reading the items back`);
    if (!this.options.primaryKey) {
      return unknown('the primary key is not known, so the items cannot be read back');
    }
    let check: ReadBackResult;
    try {
      check = await this.readBack(values, indices);
    } catch (error) {
      if (isCancellation(error)) {
        return unknown('the push was cancelled before the items were read back');
      }
      return unknown(`reading the items back failed (${errorMessage(error)})`);
    }
    if (check.differing.length > 0 || check.missing.length > 0) {
      const notStored = check.differing.length + check.missing.length;
      return unknown(`reading back found ${notStored} of ${values.length} ${values.length === 1 ? 'item' : 'items'} not stored as sent`);
    }
    return this.outcome(range, {
      state: 'written',
      httpStatus: status,
      durationMs: progress.elapsed(),
      attempts: progress.attempts,
      confirmedByReadBack: true,
      alreadyStored: progress.alreadyStored,
      errors: [],
    });
  }

  /** Waits before the next attempt; false when the push was cancelled during the wait. */
  private async backoff(range: RequestRange, attempt: number, reason: string): Promise<boolean> {
    const delay = backoffDelay(
      attempt,
      this.options.backoffBaseMs ?? PUSH_DEFAULTS.backoffBaseMs,
      this.options.backoffCapMs ?? PUSH_DEFAULTS.backoffCapMs,
      this.random,
    );
    this.stats.retries += 1;
    this.logger.info(`${describeRange(range)}: retrying in ${delay} ms (attempt ${attempt + 1})`);
    this.options.observer?.onRetry?.(range, attempt + 1, reason, delay);
    try {
      await abortableSleep(delay, this.options.signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads one item by key. Each lookup counts against the rate limit like a write, so it goes
   * through the pacer, and a failed lookup is retried with the same backoff as a write.
   */
  private async findStored(itemKey: string): Promise<StoredItem | undefined> {
    const { client, datastoreId, signal } = this.options;
    const maxAttempts = this.options.maxAttempts ?? PUSH_DEFAULTS.maxAttempts;
    for (let attempt = 1; ; attempt += 1) {
      await this.pacer.acquire(signal);
      try {
        return await client.findItemByKey(datastoreId, itemKey, { signal, timeoutMs: this.options.timeoutMs ?? PUSH_DEFAULTS.timeoutMs });
      } catch (error) {
        const final = isCancellation(error) || signal?.aborted || attempt >= maxAttempts || (error instanceof DdstoreError && error.code === 'auth-failed');
        if (final) {
          throw error;
        }
        this.logger.warn(`reading an item back failed (attempt ${attempt}): ${errorMessage(error)}`);
      } finally {
        this.pacer.release();
      }
      const delay = backoffDelay(attempt, this.options.backoffBaseMs ?? PUSH_DEFAULTS.backoffBaseMs, this.options.backoffCapMs ?? PUSH_DEFAULTS.backoffCapMs, this.random);
      await abortableSleep(delay, signal);
    }
  }

  /** Reads each item of a request back by key and compares it with what was sent. */
  private async readBack(values: readonly unknown[], indices: readonly number[]): Promise<ReadBackResult> {
    const key = this.options.primaryKey as string;
    const result: ReadBackResult = { identical: [], differing: [], missing: [] };
    this.stats.readBacks += 1;
    let position = 0;
    const worker = async (): Promise<void> => {
      while (position < values.length) {
        const current = position;
        position += 1;
        const value = values[current] as Record<string, unknown>;
        const itemKey = value?.[key];
        if (typeof itemKey !== 'string') {
          result.missing.push(indices[current]);
          continue;
        }
        const stored = await this.findStored(itemKey);
        if (!stored) {
          result.missing.push(indices[current]);
        } else if (canonicalJson(stored.value) === canonicalJson(value)) {
          result.identical.push(indices[current]);
        } else {
          result.differing.push(indices[current]);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, values.length) }, worker));
    for (const list of [result.identical, result.differing, result.missing]) {
      list.sort((a, b) => a - b);
    }
    return result;
  }
}

/** Summarizes a rejected request in one line: the first error and how many more there are. */
function summarizeErrors(status: number, entries: readonly ApiErrorEntry[]): string {
  if (entries.length === 0) {
    return `HTTP ${status}`;
  }
  const others = entries.length - 1;
  const more = others > 0 ? ` (and ${others} more ${others === 1 ? 'error' : 'errors'}; see the items)` : '';
  return `${describeHttpError(status, entries[0])}${more}`;
}

/** Ends a message with a period unless it ends with one already. */
function withPeriod(text: string): string {
  return /[.…]$/.test(text) ? text : `${text}.`;
}

function summarize(outcomes: RequestOutcome[], stats: PushStats, stopped: PushResult['stopped']): PushResult {
  const count = (state: RequestOutcome['state']): number =>
    outcomes.filter((outcome) => outcome.state === state).reduce((sum, outcome) => sum + outcome.end - outcome.start, 0);
  return {
    outcomes,
    itemsWritten: count('written'),
    itemsFailed: count('failed'),
    itemsUnknown: count('unknown'),
    itemsSkipped: count('skipped'),
    itemsAlreadyStored: outcomes.reduce((sum, outcome) => sum + (outcome.state === 'written' ? outcome.alreadyStored ?? 0 : 0), 0),
    stopped,
    stats,
  };
}
