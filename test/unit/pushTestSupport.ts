// Shared setup for the push engine tests: a simulator on 127.0.0.1, a client with obviously fake
// keys, generated items and a comparison of the datastore with the file.
import * as assert from 'node:assert/strict';
import type { DatastoreClientOptions } from '../../src/core/api/datastoreClient';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import type { PushResult } from '../../src/core/push/pushTypes';
import type { Simulator, SimulatorOptions } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';

export const DATASTORE_ID = '0b8e2c1a-5d4f-4e3a-9c2b-1a0f9e8d7c6b';
export const PRIMARY_KEY = 'id';
export const FAKE_KEYS = { apiKey: 'fake-api-key-push-tests-0000', appKey: 'fake-app-key-push-tests-0000' };

/** Engine settings that keep retries fast in tests. */
export const FAST_RETRIES = { backoffBaseMs: 5, backoffCapMs: 40, timeoutMs: 5_000, maxAttempts: 5 } as const;

export async function startPushSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    datastores: [{ id: DATASTORE_ID, name: 'push-tests', primaryColumnName: PRIMARY_KEY }],
    ...options,
  });
}

export function clientFor(simulator: Simulator, options: DatastoreClientOptions = {}): DatastoreClient {
  return new DatastoreClient({ origin: simulator.url, site: 'datadoghq.com', overridden: true }, FAKE_KEYS, options);
}

/** Items `{id, n, tags}` with keys `<prefix>0` … so every push can use a distinct key space. */
export function makeItems(count: number, prefix = 'item-'): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, n) => ({ [PRIMARY_KEY]: `${prefix}${n}`, n, tags: [`t${n % 7}`], nested: { even: n % 2 === 0 } }));
}

/** Asserts that the datastore holds exactly the given items, compared by key and value. */
export function assertStoreEquals(simulator: Simulator, items: ReadonlyArray<Record<string, unknown>>, datastoreId = DATASTORE_ID): void {
  const stored = new Map(simulator.store.listItems(datastoreId).map((value) => [String(value[PRIMARY_KEY]), value]));
  assert.equal(stored.size, items.length, `the datastore holds ${stored.size} items, the file ${items.length}`);
  for (const item of items) {
    assert.deepEqual(stored.get(String(item[PRIMARY_KEY])), item, `item ${String(item[PRIMARY_KEY])} differs`);
  }
}

/** Asserts that the four item counts of a result add up to the number of items. */
export function assertAccounted(result: PushResult, itemCount: number): void {
  const sum = result.itemsWritten + result.itemsFailed + result.itemsUnknown + result.itemsSkipped;
  assert.equal(sum, itemCount, `written ${result.itemsWritten} + failed ${result.itemsFailed} + unknown ${result.itemsUnknown} + skipped ${result.itemsSkipped} != ${itemCount}`);
  const covered = result.outcomes.reduce((total, outcome) => total + outcome.end - outcome.start, 0);
  assert.equal(covered, itemCount, 'the outcomes do not cover every item once');
}

/** Bulk-write requests that reached the simulator. */
export function bulkWrites(simulator: Simulator): number {
  return simulator.requestLog.filter((entry) => entry.method === 'POST' && entry.path.includes('/items/bulk')).length;
}

/** Resolves when `predicate` holds for a simulator request log entry. */
export function whenRequest(simulator: Simulator, predicate: (entry: Simulator['requestLog'][number]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (simulator.requestLog.some(predicate)) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}
