import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { Agent, buildConnector } from 'undici';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import type { ConflictMode } from '../../src/core/format/model';
import { backoffDelay } from '../../src/core/push/abortableSleep';
import type { PushOptions } from '../../src/core/push/pushEngine';
import { PUSH_DEFAULTS, runPush } from '../../src/core/push/pushEngine';
import type { Fault, Simulator } from '../../src/simulator';
import {
  assertAccounted,
  assertStoreEquals,
  bulkWrites,
  clientFor,
  DATASTORE_ID,
  FAKE_KEYS,
  FAST_RETRIES,
  makeItems,
  PRIMARY_KEY,
  startPushSimulator,
  whenRequest,
} from './pushTestSupport';

const BULK = { method: 'POST', pathIncludes: '/items/bulk' };

function pushTo(client: DatastoreClient, items: readonly unknown[], conflictMode: ConflictMode, extra: Partial<PushOptions> = {}) {
  return runPush({ ...FAST_RETRIES, client, datastoreId: DATASTORE_ID, items, conflictMode, primaryKey: PRIMARY_KEY, ...extra });
}

describe('push engine', () => {
  let simulator: Simulator;
  let client: DatastoreClient;

  beforeEach(async () => {
    simulator = await startPushSimulator();
    client = clientFor(simulator, { maxResponseBytes: 256 * 1024 });
  });

  afterEach(async () => {
    await client.close();
    await simulator.close();
  });

  describe('concurrency', () => {
    it('keeps the configured number of requests in flight', async () => {
      await simulator.close();
      simulator = await startPushSimulator({ latencyMs: 30 });
      await client.close();
      client = clientFor(simulator, { connections: 4 });
      let inFlight = 0;
      let maxInFlight = 0;
      const items = makeItems(1200);
      const result = await pushTo(client, items, 'fail_on_conflict', {
        concurrency: 4,
        observer: {
          onRequestStart: () => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
          },
          onRequestDone: () => {
            inFlight -= 1;
          },
        },
      });
      assert.equal(result.itemsWritten, 1200);
      assert.equal(maxInFlight, 4);
      assertStoreEquals(simulator, items);
    });

    it('reuses kept-alive connections', async () => {
      let connections = 0;
      const connect = buildConnector({});
      const agent = new Agent({
        connections: 4,
        connect: (options, callback) => {
          connections += 1;
          connect(options, callback);
        },
      });
      const counted = new DatastoreClient({ origin: simulator.url, site: 'datadoghq.com', overridden: true }, FAKE_KEYS, { dispatcher: agent });
      const items = makeItems(3000);
      const result = await pushTo(counted, items, 'fail_on_conflict', { concurrency: 4 });
      await agent.close();
      assert.equal(result.itemsWritten, 3000);
      assert.equal(bulkWrites(simulator), 30);
      assert.ok(connections <= 4, `${connections} connections opened for 30 requests`);
    });

    it('records outcomes in file order', async () => {
      simulator.faults.enqueue({ kind: 'delay', ms: 150 }, { match: BULK });
      const completion: number[] = [];
      const items = makeItems(500);
      const result = await pushTo(client, items, 'fail_on_conflict', {
        concurrency: 4,
        observer: { onRequestDone: (outcome) => void completion.push(outcome.index) },
      });
      assert.deepEqual(result.outcomes.map((outcome) => outcome.index), [0, 1, 2, 3, 4]);
      assert.notEqual(completion[0], 0, 'the delayed first request finished first');
      assert.equal(completion.at(-1), 0);
    });

    it('defaults to 8 requests in flight', () => {
      assert.equal(PUSH_DEFAULTS.concurrency, 8);
    });
  });

  describe('fault kinds', () => {
    const cases: Array<{ fault: Fault; retried: boolean; readBack?: boolean }> = [
      { fault: { kind: 'rate-limit', resetSeconds: 0 }, retried: true },
      { fault: { kind: 'server-error', status: 500 }, retried: true },
      { fault: { kind: 'server-error', status: 502, html: true }, retried: true },
      { fault: { kind: 'server-error', status: 503 }, retried: true },
      { fault: { kind: 'reset-before-commit' }, retried: true },
      { fault: { kind: 'reset-after-commit' }, retried: true, readBack: true },
      { fault: { kind: 'server-error-after-commit', status: 500 }, retried: true, readBack: true },
      { fault: { kind: 'server-error-after-commit', status: 503 }, retried: true, readBack: true },
      { fault: { kind: 'delay', ms: 100 }, retried: false },
      { fault: { kind: 'hang' }, retried: true },
      { fault: { kind: 'html', status: 502 }, retried: true },
      { fault: { kind: 'not-json' }, retried: true, readBack: true },
      { fault: { kind: 'truncated' }, retried: true, readBack: true },
      { fault: { kind: 'huge-body', bytes: 1024 * 1024 }, retried: true, readBack: true },
    ];
    for (const conflictMode of ['fail_on_conflict', 'overwrite_on_conflict'] as const) {
      for (const { fault, retried, readBack } of cases) {
        const label = `${fault.kind}${'status' in fault && fault.status ? ` ${fault.status}` : ''}${'html' in fault && fault.html ? ' html' : ''}`;
        it(`recovers from ${label} (${conflictMode})`, async () => {
          simulator.faults.enqueue(fault, { match: BULK });
          const items = makeItems(250);
          const result = await pushTo(client, items, conflictMode, { concurrency: 2, timeoutMs: fault.kind === 'hang' ? 300 : 5_000 });

          assert.equal(simulator.stats.faultsInjected[fault.kind], 1);
          assert.equal(result.itemsWritten, 250, JSON.stringify(result.outcomes.map((o) => o.message)));
          assertAccounted(result, 250);
          assertStoreEquals(simulator, items);
          assert.equal(bulkWrites(simulator), retried ? 4 : 3);
          const conflicts = result.outcomes.flatMap((outcome) => outcome.errors).filter((error) => error.code === 'conflict');
          assert.deepEqual(conflicts, []);
          const expectReadBack = readBack === true && conflictMode === 'fail_on_conflict';
          assert.equal(result.stats.readBacks, expectReadBack ? 1 : 0);
          assert.equal(result.outcomes.some((outcome) => outcome.confirmedByReadBack), expectReadBack);
        });
      }
    }

    it('fails a redirect without following it', async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as net.AddressInfo).port;
      let followed = false;
      closed.on('connection', () => {
        followed = true;
      });
      simulator.faults.enqueue({ kind: 'redirect', location: `http://127.0.0.1:${port}/elsewhere` }, { match: BULK });
      const items = makeItems(250);
      const result = await pushTo(client, items, 'fail_on_conflict', { concurrency: 1 });
      closed.close();

      assert.equal(followed, false);
      assert.equal(result.outcomes[0].state, 'failed');
      assert.equal(result.outcomes[0].httpStatus, 307);
      assert.match(result.outcomes[0].errors[0].message, /does not follow redirects/);
      assert.equal(result.itemsWritten, 150);
      assertAccounted(result, 250);
      assertStoreEquals(simulator, items.slice(100));
    });
  });

  describe('retries', () => {
    it('does not retry a 400', async () => {
      simulator.faults.enqueue({ kind: 'html', status: 400 }, { match: BULK });
      const result = await pushTo(client, makeItems(100), 'fail_on_conflict');
      assert.equal(result.outcomes[0].state, 'failed');
      assert.equal(result.outcomes[0].attempts, 1);
      assert.equal(bulkWrites(simulator), 1);
    });

    it('gives up after maxAttempts on 5xx', async () => {
      simulator.faults.enqueue({ kind: 'server-error', status: 503 }, { count: 10, match: BULK });
      const result = await pushTo(client, makeItems(100), 'fail_on_conflict', { maxAttempts: 3 });
      assert.equal(result.outcomes[0].state, 'unknown');
      assert.equal(result.outcomes[0].attempts, 3);
      assert.equal(bulkWrites(simulator), 3);
      assert.equal(result.stats.retries, 2);
    });

    it('waits with exponential backoff, jitter and cap', async () => {
      simulator.faults.enqueue({ kind: 'server-error' }, { count: 4, match: BULK });
      const delays: number[] = [];
      const result = await pushTo(client, makeItems(10), 'fail_on_conflict', {
        backoffBaseMs: 10,
        backoffCapMs: 40,
        random: () => 1,
        observer: { onRetry: (_range, _attempt, _reason, delay) => void delays.push(delay) },
      });
      assert.equal(result.itemsWritten, 10);
      assert.deepEqual(delays, [10, 20, 40, 40]);
      assert.equal(backoffDelay(3, 100, 1000, () => 0), 200);
      assert.equal(backoffDelay(3, 100, 1000, () => 1), 400);
      assert.equal(backoffDelay(10, 100, 1000, () => 0.5), 750);
    });

    it('retries a timeout', async () => {
      simulator.faults.enqueue({ kind: 'hang' }, { match: BULK });
      const reasons: string[] = [];
      const result = await pushTo(client, makeItems(10), 'fail_on_conflict', {
        timeoutMs: 200,
        observer: { onRetry: (_range, _attempt, reason) => void reasons.push(reason) },
      });
      assert.equal(result.itemsWritten, 10);
      assert.match(reasons[0], /timed out/);
    });

    it('retries a refused connection and marks it not sent', async () => {
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const refused = new DatastoreClient({ origin: `http://127.0.0.1:${port}`, site: 'datadoghq.com', overridden: true }, FAKE_KEYS);
      const result = await pushTo(refused, makeItems(10), 'fail_on_conflict', { maxAttempts: 3 });
      await refused.close();
      assert.equal(result.outcomes[0].state, 'failed');
      assert.equal(result.outcomes[0].attempts, 3);
      assert.match(result.outcomes[0].message ?? '', /ECONNREFUSED/);
    });

    it('retries a DNS failure and marks it not sent', async () => {
      let lookups = 0;
      const agent = new Agent({
        connect: (_options, callback) => {
          lookups += 1;
          const error = Object.assign(new Error('getaddrinfo ENOTFOUND api.datadoghq.invalid'), { code: 'ENOTFOUND' });
          callback(error, null);
        },
      });
      const unresolved = new DatastoreClient({ origin: simulator.url, site: 'datadoghq.com', overridden: true }, FAKE_KEYS, { dispatcher: agent });
      const result = await pushTo(unresolved, makeItems(10), 'fail_on_conflict', { maxAttempts: 2 });
      await agent.close();
      assert.equal(lookups, 2);
      assert.equal(result.outcomes[0].state, 'failed');
      assert.match(result.outcomes[0].message ?? '', /ENOTFOUND/);
    });
  });

  describe('authentication', () => {
    it('stops the whole push on 403', async () => {
      await simulator.close();
      simulator = await startPushSimulator({ credentials: [{ apiKey: 'fake-other-api-key-000', appKey: 'fake-other-app-key-000' }] });
      await client.close();
      client = clientFor(simulator);
      const items = makeItems(2000);
      const result = await pushTo(client, items, 'fail_on_conflict', { concurrency: 3 });

      assert.equal(result.stopped?.code, 'auth-failed');
      assert.match(result.stopped?.message ?? '', /another site than datadoghq\.com/);
      assert.match(result.stopped?.message ?? '', /invalid or revoked/);
      assert.match(result.stopped?.message ?? '', /apps_datastore_write/);
      assert.ok(bulkWrites(simulator) <= 3, `${bulkWrites(simulator)} requests sent after the first 403`);
      assert.equal(result.itemsWritten, 0);
      assertAccounted(result, 2000);
      assert.ok(!JSON.stringify(result).includes(FAKE_KEYS.apiKey));
    });
  });

  describe('read-back after an uncertain attempt', () => {
    it('counts identical stored items as written', async () => {
      simulator.faults.enqueue({ kind: 'reset-after-commit' }, { match: BULK });
      const items = makeItems(100);
      const result = await pushTo(client, items, 'fail_on_conflict');
      assert.equal(result.outcomes[0].state, 'written');
      assert.equal(result.outcomes[0].confirmedByReadBack, true);
      assert.equal(result.stats.falseConflictsAvoided, 1);
      assertStoreEquals(simulator, items);
    });

    it('reports a differing stored item as a conflict', async () => {
      const items = makeItems(100);
      simulator.store.getDatastore(DATASTORE_ID)!.putItem('item-5', { id: 'item-5', n: -1 });
      simulator.faults.enqueue({ kind: 'server-error' }, { match: BULK });
      const result = await pushTo(client, items, 'fail_on_conflict');
      const outcome = result.outcomes[0];
      assert.equal(outcome.state, 'failed');
      assert.equal(outcome.errors.length, 1);
      assert.equal(outcome.errors[0].code, 'conflict');
      assert.equal(outcome.errors[0].itemIndex, 5);
      assert.equal(result.stats.readBacks, 1);
    });

    it('sends only the missing items of a partly stored request', async () => {
      const items = makeItems(100);
      for (const item of items.slice(0, 30)) {
        simulator.store.getDatastore(DATASTORE_ID)!.putItem(String(item.id), item);
      }
      simulator.faults.enqueue({ kind: 'server-error' }, { match: BULK });
      const result = await pushTo(client, items, 'fail_on_conflict');
      assert.equal(result.outcomes[0].state, 'written');
      assert.equal(result.outcomes[0].confirmedByReadBack, true);
      const last = simulator.requestLog.filter((entry) => entry.method === 'POST').at(-1);
      assert.equal(last?.itemCount, 70);
      assertStoreEquals(simulator, items);
    });

    it('gives up when the read-back never finds the conflicting items', async () => {
      // The simulator reports a conflict for every attempt while the lookups find nothing.
      simulator.faults.enqueue({ kind: 'server-error' }, { match: BULK });
      const items = makeItems(10);
      for (const item of items) {
        simulator.store.getDatastore(DATASTORE_ID)!.putItem(String(item.id), item);
      }
      simulator.faults.enqueue({ kind: 'html', status: 404 }, { count: 100, match: { method: 'GET' } });
      const result = await pushTo(client, items, 'fail_on_conflict', { maxAttempts: 3 });
      assert.equal(result.outcomes[0].state, 'unknown');
      assert.equal(result.outcomes[0].attempts, 3);
    });
  });

  describe('cancellation', () => {
    it('aborts the request in flight', async () => {
      simulator.faults.enqueue({ kind: 'hang' }, { match: BULK });
      const controller = new AbortController();
      void whenRequest(simulator, (entry) => entry.fault === 'hang').then(() => controller.abort());
      const result = await pushTo(client, makeItems(300), 'fail_on_conflict', { concurrency: 1, timeoutMs: 600_000, signal: controller.signal });
      assert.equal(result.stopped?.code, 'cancelled');
      assert.equal(result.outcomes[0].state, 'unknown');
      assert.deepEqual(result.outcomes.slice(1).map((outcome) => outcome.state), ['skipped', 'skipped']);
      assertAccounted(result, 300);
    });

    it('ends a backoff wait', async () => {
      simulator.faults.enqueue({ kind: 'server-error' }, { match: BULK });
      const controller = new AbortController();
      const result = await pushTo(client, makeItems(100), 'fail_on_conflict', {
        backoffBaseMs: 600_000,
        backoffCapMs: 600_000,
        signal: controller.signal,
        observer: { onRetry: () => controller.abort() },
      });
      assert.equal(result.stopped?.code, 'cancelled');
      assert.equal(result.outcomes[0].state, 'unknown');
      assert.equal(bulkWrites(simulator), 1);
    });

    it('ends a rate-limit wait', async () => {
      simulator.faults.enqueue({ kind: 'rate-limit', resetSeconds: 600 }, { match: BULK });
      const controller = new AbortController();
      const waits: string[] = [];
      const result = await pushTo(client, makeItems(100), 'fail_on_conflict', {
        maxRateLimitWaitMs: 600_000,
        signal: controller.signal,
        observer: {
          onWait: (wait) => {
            waits.push(`${wait.name}: ${wait.seconds} s`);
            controller.abort();
          },
        },
      });
      assert.equal(result.stopped?.code, 'cancelled');
      assert.equal(result.outcomes[0].state, 'skipped');
      assert.match(waits[0], /^actions_datastores: 60\d s$/);
    });

    it('ends a read-back', async () => {
      simulator.faults.enqueue({ kind: 'reset-after-commit' }, { match: BULK });
      simulator.faults.enqueue({ kind: 'hang' }, { match: { method: 'GET' } });
      const controller = new AbortController();
      void whenRequest(simulator, (entry) => entry.method === 'GET' && entry.fault === 'hang').then(() => controller.abort());
      const result = await pushTo(client, makeItems(100), 'fail_on_conflict', { timeoutMs: 600_000, signal: controller.signal });
      assert.equal(result.stopped?.code, 'cancelled');
      assert.equal(result.outcomes[0].state, 'unknown');
    });
  });
});
