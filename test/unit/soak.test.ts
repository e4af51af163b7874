import * as assert from 'node:assert/strict';
import type { ConflictMode } from '../../src/core/format/model';
import { runPush } from '../../src/core/push/pushEngine';
import type { FaultKind } from '../../src/simulator';
import { seededRandom } from '../../src/simulator/faults';
import { assertAccounted, assertStoreEquals, clientFor, DATASTORE_ID, makeItems, PRIMARY_KEY, startPushSimulator } from './pushTestSupport';

const PUSHES = 60;
const SEED = Number(process.env.DDSTORE_SOAK_SEED ?? 20240611);

describe('push soak', () => {
  it(`survives ${PUSHES} pushes with random faults`, async function () {
    this.timeout(120_000);
    const simulator = await startPushSimulator({ rateLimit: { limit: 400, periodSeconds: 1, name: 'soak' } });
    const client = clientFor(simulator, { maxResponseBytes: 64 * 1024 });
    const pick = seededRandom(SEED);
    simulator.faults.setRandom({
      probability: 0.2,
      seed: SEED,
      kinds: [
        { kind: 'rate-limit', resetSeconds: 0 },
        'server-error',
        { kind: 'server-error', status: 502, html: true },
        'reset-before-commit',
        'reset-after-commit',
        'server-error-after-commit',
        { kind: 'delay', ms: 20 },
        'hang',
        'html',
        'not-json',
        'truncated',
        { kind: 'huge-body', bytes: 128 * 1024 },
      ],
    });
    const totals = { requests: 0, retries: 0, readBacks: 0, falseConflictsAvoided: 0, items: 0, written: 0, unknown: 0 };
    try {
      for (let push = 0; push < PUSHES; push += 1) {
        const conflictMode: ConflictMode = push % 2 === 0 ? 'fail_on_conflict' : 'overwrite_on_conflict';
        const count = 50 + Math.floor(pick() * 500);
        const items = makeItems(count, `p${push}-`);
        simulator.store.deleteDatastore(DATASTORE_ID);
        simulator.store.createDatastore({ id: DATASTORE_ID, name: 'soak', primaryColumnName: PRIMARY_KEY });
        const result = await runPush({
          client,
          datastoreId: DATASTORE_ID,
          items,
          conflictMode,
          primaryKey: PRIMARY_KEY,
          concurrency: 1 + Math.floor(pick() * 8),
          maxAttempts: 10,
          backoffBaseMs: 2,
          backoffCapMs: 20,
          timeoutMs: 150,
        });
        const context = `push ${push} (${conflictMode}, ${count} items, seed ${SEED})`;
        assertAccounted(result, count);
        const falseConflicts = result.outcomes.flatMap((outcome) => outcome.errors).filter((error) => error.code === 'conflict');
        assert.deepEqual(falseConflicts, [], `${context}: a conflict was reported on a fresh datastore`);
        assert.equal(result.itemsWritten, count, `${context}: ${JSON.stringify(result.outcomes.filter((o) => o.state !== 'written'))}`);
        assertStoreEquals(simulator, items);
        totals.requests += result.stats.requestsSent;
        totals.retries += result.stats.retries;
        totals.readBacks += result.stats.readBacks;
        totals.falseConflictsAvoided += result.stats.falseConflictsAvoided;
        totals.items += count;
        totals.written += result.itemsWritten;
        totals.unknown += result.itemsUnknown;
      }
    } finally {
      await client.close();
      await simulator.close();
    }
    const faults = Object.entries(simulator.stats.faultsInjected)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, count]) => `${kind as FaultKind}=${count}`)
      .join(' ');
    console.log(
      `      soak seed ${SEED}: ${PUSHES} pushes, ${totals.items} items, ${totals.written} written, ${totals.unknown} unknown, ` +
        `${simulator.stats.requests} requests (${totals.requests} bulk writes sent), ${totals.retries} retries, ` +
        `${totals.readBacks} read-backs (${totals.falseConflictsAvoided} false conflicts avoided), 429s ${simulator.stats.rateLimited}; faults: ${faults}`,
    );
    assert.ok(Object.keys(simulator.stats.faultsInjected).length >= 10, `only these faults were injected: ${faults}`);
  });
});
