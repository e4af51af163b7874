import type { ConflictMode } from '../format/model';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { BulkWriter, PushObserver, PushOptions } from './pushEngine';
import { runPush } from './pushEngine';
import type { PushHistoryEntry, PushJournal } from './pushJournal';
import { hashText, newPushId, requestsToResume } from './pushJournal';
import { planRequests } from './pushPlan';
import type { PushRecordHeader, PushResult } from './pushTypes';

/** Tuning knobs of the push engine that users set. */
export type PushTuning = Pick<
  PushOptions,
  'concurrency' | 'maxAttempts' | 'timeoutMs' | 'backoffBaseMs' | 'backoffCapMs' | 'maxRateLimitWaitMs' | 'maxRateLimitRetries'
>;

export interface PushJobInput {
  /** File path or URI, recorded in the journal. */
  readonly file: string;
  readonly text: string;
  readonly items: readonly unknown[];
  readonly client: BulkWriter;
  readonly datastore: { readonly id: string; readonly name?: string; readonly primaryColumnName?: string };
  readonly conflictMode: ConflictMode;
  readonly journal?: PushJournal;
  readonly tuning?: PushTuning;
  readonly signal?: AbortSignal;
  readonly observer?: PushObserver;
  readonly logger?: Logger;
  /** Continues an earlier push in place, sending only the requests it has not confirmed. */
  readonly resume?: { readonly entry: PushHistoryEntry; readonly only: 'unconfirmed' | 'failed' };
  /** Called once the header is durable, before the first request. */
  readonly onStart?: (header: PushRecordHeader) => void;
}

export interface PushJobResult {
  readonly header: PushRecordHeader;
  readonly result: PushResult;
}

/** Records a push in the journal, runs it, and records every outcome as it arrives. */
export async function runPushJob(input: PushJobInput): Promise<PushJobResult> {
  const logger = input.logger ?? silentLogger;
  let header: PushRecordHeader;
  let requests = planRequests(input.items.length);
  let uncertain: ReadonlySet<number> | undefined;
  if (input.resume) {
    header = input.resume.entry.header;
    const plan = requestsToResume(input.resume.entry, input.resume.only);
    requests = [...plan.requests];
    uncertain = plan.uncertain;
    await input.journal?.reopen(header.id, requests.map((range) => range.index));
    logger.info(`resuming push ${header.id}: ${requests.length} request(s), ${uncertain.size} of them possibly committed already`);
  } else {
    header = {
      id: newPushId(),
      startedAt: new Date().toISOString(),
      file: input.file,
      fileHash: hashText(input.text),
      site: input.client.endpoint.site,
      datastoreId: input.datastore.id,
      datastoreName: input.datastore.name,
      conflictMode: input.conflictMode,
      itemCount: input.items.length,
      requests,
    };
    await input.journal?.begin(header);
    logger.info(
      `push ${header.id} started: ${header.itemCount} items in ${requests.length} requests to ${header.datastoreName ?? header.datastoreId} on ${header.site} (${header.conflictMode})`,
    );
  }
  input.onStart?.(header);

  const journal = input.journal;
  const result = await runPush({
    ...input.tuning,
    client: input.client,
    datastoreId: input.datastore.id,
    items: input.items,
    conflictMode: input.conflictMode,
    primaryKey: input.datastore.primaryColumnName,
    requests,
    uncertainRequests: uncertain,
    signal: input.signal,
    logger,
    observer: {
      ...input.observer,
      onRequestDone: async (outcome) => {
        await journal?.append(header.id, outcome);
        await input.observer?.onRequestDone?.(outcome);
      },
    },
  });
  await journal?.finish(header.id, result);
  logger.info(
    `push ${header.id} ended: ${result.itemsWritten} written, ${result.itemsFailed} failed, ${result.itemsUnknown} unknown, ${result.itemsSkipped} not sent` +
      (result.stopped ? ` (${result.stopped.message})` : ''),
  );
  return { header, result };
}
