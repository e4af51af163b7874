import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SecretRedactor } from '../log';
import { defaultRedactor } from '../log';
import type { PushRecordHeader, PushResult, RequestOutcome } from './pushTypes';

/** One push as read back from the journal. */
export interface PushHistoryEntry {
  readonly header: PushRecordHeader;
  /** The latest outcome of each request that has one, in request order. */
  readonly outcomes: readonly RequestOutcome[];
  /** Set when the push ended; absent after a crash or reload mid-push. */
  readonly end?: PushEnd;
}

export interface PushEnd {
  readonly endedAt: string;
  readonly itemsWritten: number;
  readonly stopped?: PushResult['stopped'];
}

type JournalLine =
  | { readonly type: 'header'; readonly header: PushRecordHeader }
  | { readonly type: 'outcome'; readonly outcome: RequestOutcome }
  | { readonly type: 'end'; readonly end: PushEnd }
  | { readonly type: 'resume'; readonly at: string; readonly requests: readonly number[] };

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function newPushId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
}

/**
 * Durable record of pushes: one JSON Lines file per push, the header written before the
 * first request and one line appended per request outcome, each flushed to disk before the
 * push goes on. Item values and keys are never written; server messages pass through the
 * secret redactor.
 */
export class PushJournal {
  constructor(
    private readonly directory: string,
    private readonly options: { maxEntries?: number; redactor?: SecretRedactor } = {},
  ) {}

  private fileOf(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) {
      throw new Error(`invalid push id "${id}"`);
    }
    return path.join(this.directory, `${id}.jsonl`);
  }

  private async appendLine(id: string, line: JournalLine): Promise<void> {
    const redactor = this.options.redactor ?? defaultRedactor;
    const text = redactor.redact(JSON.stringify(line)) + '\n';
    const handle = await fs.open(this.fileOf(id), 'a');
    try {
      await handle.appendFile(text, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async begin(header: PushRecordHeader): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true });
    await this.appendLine(header.id, { type: 'header', header });
    await this.prune();
  }

  append(id: string, outcome: RequestOutcome): Promise<void> {
    return this.appendLine(id, { type: 'outcome', outcome });
  }

  /** Marks a push as running again, before a resume sends its remaining requests. */
  reopen(id: string, requests: readonly number[]): Promise<void> {
    return this.appendLine(id, { type: 'resume', at: new Date().toISOString(), requests });
  }

  finish(id: string, result: PushResult): Promise<void> {
    return this.appendLine(id, {
      type: 'end',
      end: { endedAt: new Date().toISOString(), itemsWritten: result.itemsWritten, stopped: result.stopped },
    });
  }

  async read(id: string): Promise<PushHistoryEntry | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(id), 'utf8');
    } catch {
      return undefined;
    }
    let header: PushRecordHeader | undefined;
    let end: PushEnd | undefined;
    const outcomes = new Map<number, RequestOutcome>();
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') {
        continue;
      }
      let line: JournalLine;
      try {
        line = JSON.parse(raw) as JournalLine;
      } catch {
        // A crash can cut the last line short; everything before it is still valid.
        continue;
      }
      if (line.type === 'header') {
        header = line.header;
      } else if (line.type === 'outcome') {
        outcomes.set(line.outcome.index, line.outcome);
      } else if (line.type === 'end') {
        end = line.end;
      } else if (line.type === 'resume') {
        end = undefined;
      }
    }
    if (!header) {
      return undefined;
    }
    const ordered = [...outcomes.values()].sort((a, b) => a.index - b.index);
    return { header, outcomes: ordered, end };
  }

  /** Lists pushes, newest first. */
  async list(): Promise<PushHistoryEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.directory);
    } catch {
      return [];
    }
    const ids = names.filter((name) => name.endsWith('.jsonl')).map((name) => name.slice(0, -'.jsonl'.length));
    const entries = await Promise.all(ids.map((id) => this.read(id)));
    return entries
      .filter((entry): entry is PushHistoryEntry => entry !== undefined)
      .sort((a, b) => b.header.startedAt.localeCompare(a.header.startedAt));
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.fileOf(id), { force: true });
  }

  async clear(): Promise<void> {
    for (const entry of await this.list()) {
      await this.remove(entry.header.id);
    }
  }

  private async prune(): Promise<void> {
    const max = this.options.maxEntries ?? 100;
    const entries = await this.list();
    for (const entry of entries.slice(max)) {
      await this.remove(entry.header.id);
    }
  }
}

/** Counts the items of a journal entry whose requests the server confirmed. */
export function itemsConfirmed(entry: PushHistoryEntry): number {
  return entry.outcomes.filter((outcome) => outcome.state === 'written').reduce((sum, outcome) => sum + outcome.end - outcome.start, 0);
}

/** The requests a resume must send: every request without a confirmed write. */
export function requestsToResume(entry: PushHistoryEntry, only: 'unconfirmed' | 'failed'): { requests: PushRecordHeader['requests']; uncertain: Set<number> } {
  const byIndex = new Map(entry.outcomes.map((outcome) => [outcome.index, outcome]));
  const uncertain = new Set<number>();
  const requests = entry.header.requests.filter((range) => {
    const outcome = byIndex.get(range.index);
    if (outcome?.state === 'written') {
      return false;
    }
    if (only === 'failed' && outcome?.state !== 'failed' && outcome?.state !== 'unknown') {
      return false;
    }
    // Without a recorded outcome the request may have been in flight at the crash.
    if (!outcome || outcome.state === 'unknown') {
      uncertain.add(range.index);
    }
    return true;
  });
  return { requests, uncertain };
}
