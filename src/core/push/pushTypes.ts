import type { ConflictMode } from '../format/model';
import type { RequestRange } from './pushPlan';

/**
 * What is known of a request's items:
 * - `written`: the server confirmed the write (or a read-back found the items identical);
 * - `failed`: the server rejected the request, so none of its items were written;
 * - `unknown`: the request was sent but its outcome is not confirmed (no response, 5xx, a
 *   response that does not confirm every item, cancelled in flight, crash);
 * - `skipped`: the request was never sent.
 */
export type RequestState = 'written' | 'failed' | 'unknown' | 'skipped';

/** A problem with one item, placed on that item in the editor. */
export interface ItemError {
  /** Zero-based index of the item in the file. */
  readonly itemIndex: number;
  /** Path inside the item, from the error's `source.pointer`; empty for the whole item. */
  readonly path: readonly (string | number)[];
  readonly code: 'api-error' | 'conflict' | 'not-written';
  readonly httpStatus?: number;
  readonly message: string;
}

export interface RequestOutcome extends RequestRange {
  readonly state: RequestState;
  readonly httpStatus?: number;
  readonly durationMs: number;
  readonly attempts: number;
  /** True when reading back found the items stored as sent (after a conflict or an unconfirmed response). */
  readonly confirmedByReadBack?: boolean;
  /**
   * Items of a `written` request that reading back found already stored, identical to the file,
   * after the server reported a conflict. This push may or may not have written them.
   */
  readonly alreadyStored?: number;
  readonly message?: string;
  readonly errors: readonly ItemError[];
}

export interface PushStats {
  requestsSent: number;
  retries: number;
  rateLimited: number;
  readBacks: number;
  falseConflictsAvoided: number;
}

export interface PushResult {
  readonly outcomes: readonly RequestOutcome[];
  readonly itemsWritten: number;
  readonly itemsFailed: number;
  readonly itemsUnknown: number;
  readonly itemsSkipped: number;
  /** Items counted in `itemsWritten` that were found already stored, identical to the file. */
  readonly itemsAlreadyStored: number;
  /** Set when the push ended early, for all requests left. */
  readonly stopped?: { readonly code: 'auth-failed' | 'cancelled' | 'aborted'; readonly message: string };
  readonly stats: PushStats;
}

/** The durable description of a push, written before the first request. */
export interface PushRecordHeader {
  readonly id: string;
  readonly startedAt: string;
  /** File path or URI, as the caller names it. */
  readonly file: string;
  /** SHA-256 of the file text, so a resume can tell that the file changed. */
  readonly fileHash: string;
  readonly site: string;
  readonly datastoreId: string;
  readonly datastoreName?: string;
  readonly conflictMode: ConflictMode;
  readonly itemCount: number;
  readonly requests: readonly RequestRange[];
  /** The push this one resumes or retries, if any. */
  readonly continues?: string;
}
