import * as assert from 'node:assert/strict';
import type { DatastoreClient } from '../../src/core/api/datastoreClient';
import { runPush } from '../../src/core/push/pushEngine';
import type { RateLimitWait } from '../../src/core/push/rateLimitPacer';
import { RateLimitPacer } from '../../src/core/push/rateLimitPacer';
import type { Simulator } from '../../src/simulator';
import { assertStoreEquals, clientFor, DATASTORE_ID, FAST_RETRIES, makeItems, PRIMARY_KEY, startPushSimulator } from './pushTestSupport';

/** Reports whether a promise settled after the pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('rate-limit pacer', () => {
  it('holds requests once the window budget is spent', async () => {
    let now = 1_000_000;
    const pacer = new RateLimitPacer({ clock: { now: () => now }, random: () => 0 });
    await pacer.acquire();
    pacer.observe({ limit: 3, periodSeconds: 10, remaining: 2, resetSeconds: 10, name: 'bucket' }, 200);

    await pacer.acquire();
    await pacer.acquire();
    const third = pacer.acquire();
    assert.equal(await settled(third), false);

    now += 10_001;
    pacer.observe({ limit: 3, periodSeconds: 10, remaining: 1, resetSeconds: 1 }, 200);
    await third;
  });

  it('counts requests in flight against the budget', async () => {
    const pacer = new RateLimitPacer({ clock: { now: () => 5_000 } });
    await pacer.acquire();
    await pacer.acquire();
    pacer.observe({ limit: 10, periodSeconds: 60, remaining: 2, resetSeconds: 30 }, 200);

    await pacer.acquire();
    const stopBlocked = new AbortController();
    const blocked = pacer.acquire(stopBlocked.signal);
    assert.equal(await settled(blocked), false, 'the request still in flight was not counted');
    pacer.release();
    pacer.release();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(pacer.acquire(controller.signal), /cancelled/);
    const stillBlocked = await settled(blocked);
    assert.equal(stillBlocked, false);
    stopBlocked.abort();
    await assert.rejects(blocked, /cancelled/);
  });

  it('pauses everything after a 429 and probes once', async () => {
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ random: () => 0, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    await pacer.acquire();
    pacer.observe({ limit: 5, periodSeconds: 1, remaining: 0, resetSeconds: 1, name: 'bucket' }, 429);

    // Both requests wait for the same reset; whichever timer fires first becomes the probe.
    const waiting = [pacer.acquire().then(() => 0), pacer.acquire().then(() => 1)];
    const probe = await Promise.race(waiting);
    assert.equal(waits[0].afterRejection, true);
    assert.equal(waits[0].name, 'bucket');
    assert.equal(waits[0].starting, true);
    assert.equal(await settled(waiting[1 - probe]), false, 'a second request started before the probe answered');

    pacer.observe({ limit: 5, periodSeconds: 1, remaining: 3, resetSeconds: 1 }, 200);
    await Promise.all(waiting);
  });

  it('resumes after a 429 without headers', async () => {
    const pacer = new RateLimitPacer({ random: () => 0 });
    await pacer.acquire();
    pacer.observe({}, 429);
    await pacer.acquire();
  });

  it('caps a wait for the next window', async () => {
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ maxWaitMs: 300, random: () => 0, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    pacer.observe({ limit: 5, periodSeconds: 3600, remaining: 0, resetSeconds: 3600 }, 200);
    await pacer.acquire();
    const second = pacer.acquire();
    assert.equal(await settled(second), false, 'more than one probe after a capped wait');
    pacer.observe({ limit: 5, periodSeconds: 3600, remaining: 4, resetSeconds: 3599 }, 200);
    await second;
    assert.equal(waits[0].seconds, 1);
  });

  it('caps a rate-limit wait', async () => {
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ maxWaitMs: 300, random: () => 0, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    pacer.observe({ limit: 5, periodSeconds: 3600, remaining: 0, resetSeconds: 3600 }, 429);
    await pacer.acquire();
    assert.equal(waits[0].seconds, 1);
  });

  it('ends a wait when cancelled', async () => {
    const pacer = new RateLimitPacer();
    await pacer.acquire();
    pacer.observe({ limit: 5, periodSeconds: 600, remaining: 0, resetSeconds: 600 }, 429);
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiting, /cancelled/);
  });

  it('counts a wait down once a second', async () => {
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ random: () => 0, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    pacer.observe({ limit: 5, periodSeconds: 2, remaining: 0, resetSeconds: 2, name: 'bucket' }, 429);
    await Promise.all(Array.from({ length: 5 }, () => pacer.acquire().then(() => pacer.release())));
    const seconds = waits.map((wait) => wait.seconds);
    assert.equal(seconds[0], 3);
    assert.deepEqual(seconds, [...new Set(seconds)].sort((a, b) => b - a), `five waiting requests reported ${JSON.stringify(seconds)}`);
    assert.deepEqual(
      waits.map((wait) => wait.starting),
      waits.map((_wait, index) => index === 0),
    );
    assert.ok(waits.every((wait) => wait.afterRejection && wait.name === 'bucket'));
  });
});

describe('rate-limited pushes', () => {
  let simulator: Simulator;
  let client: DatastoreClient;

  afterEach(async () => {
    await client.close();
    await simulator.close();
  });

  it('stays inside the limit without a 429', async () => {
    simulator = await startPushSimulator({ rateLimit: { limit: 8, periodSeconds: 1, name: 'datastore_writes' } });
    client = clientFor(simulator);
    const items = makeItems(2000);
    const waits: RateLimitWait[] = [];
    const result = await runPush({
      ...FAST_RETRIES,
      client,
      datastoreId: DATASTORE_ID,
      items,
      conflictMode: 'fail_on_conflict',
      primaryKey: PRIMARY_KEY,
      concurrency: 8,
      observer: { onWait: (wait) => waits.push(wait) },
    });
    assert.equal(result.itemsWritten, 2000);
    assert.equal(simulator.stats.rateLimited, 0);
    assert.ok(waits.some((wait) => wait.name === 'datastore_writes' && !wait.afterRejection));
    assertStoreEquals(simulator, items);
  });

  // NOTE: requests already in flight when another client spends the budget can all receive 429 in
  // that window, so this bounds the 429s per window by the concurrency, not by one.
  it('pauses on 429 beside another client', async () => {
    simulator = await startPushSimulator({ rateLimit: { limit: 10, periodSeconds: 1 } });
    client = clientFor(simulator);
    const neighbour = clientFor(simulator);
    // Another client spends part of every window, so the budget that the responses report runs out early.
    let stop = false;
    const noise = (async () => {
      while (!stop) {
        await neighbour.listDatastores().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const windows = new Map<number, number>();
    const started = Date.now();
    const items = makeItems(2500);
    const result = await runPush({
      ...FAST_RETRIES,
      client: {
        endpoint: client.endpoint,
        findItemByKey: (...args) => client.findItemByKey(...args),
        bulkWrite: async (...args) => {
          const answer = await client.bulkWrite(...args);
          if (answer.status === 429) {
            const window = Math.floor(Date.now() / 1000);
            windows.set(window, (windows.get(window) ?? 0) + 1);
          }
          return answer;
        },
      },
      datastoreId: DATASTORE_ID,
      items,
      conflictMode: 'fail_on_conflict',
      primaryKey: PRIMARY_KEY,
      concurrency: 8,
    });
    stop = true;
    await noise;
    await neighbour.close();

    assert.equal(result.itemsWritten, 2500);
    assertStoreEquals(simulator, items);
    const duration = Math.ceil((Date.now() - started) / 1000);
    for (const [window, count] of windows) {
      assert.ok(count <= 8, `${count} 429 responses in window ${window} of a ${duration} s push`);
    }
    const total = [...windows.values()].reduce((sum, count) => sum + count, 0);
    assert.ok(total <= duration * 8, `${total} 429 responses in ${duration} s`);
    assert.equal(result.stats.rateLimited, total);
  });
});
