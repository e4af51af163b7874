// The push engine and the pacer against answers the simulator cannot give: bodies that cannot
// be serialised, 2xx answers that do not confirm every value, conflicts on identical items,
// and rate-limit windows far beyond the maximum wait.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { SecretRedactor } from '../../src/core/log';
import { runPush } from '../../src/core/push/pushEngine';
import type { RateLimitWait } from '../../src/core/push/rateLimitPacer';
import { RateLimitPacer } from '../../src/core/push/rateLimitPacer';
import { validateDdstoreText, MAX_ITEM_DEPTH } from '../../src/core/validation/validate';
import type { Simulator } from '../../src/simulator';
import { assertAccounted, bulkWrites, clientFor, DATASTORE_ID, FAST_RETRIES, makeItems, startPushSimulator } from './pushTestSupport';

const KEYS = { apiKey: 'fake-api-key-hardening-0000000000', appKey: 'fake-app-key-hardening-0000000000000000' };

/** A server on 127.0.0.1 whose bulk-write answer a test sets; item reads return `stored`. */
class AnswerServer {
  bulkAnswer: { status: number; body?: string } = { status: 200, body: '{}' };
  stored = new Map<string, Record<string, unknown>>();
  bulkRequests = 0;
  private readonly server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (request.method === 'POST') {
        this.bulkRequests += 1;
        response.writeHead(this.bulkAnswer.status, { 'content-type': 'application/json' });
        response.end(this.bulkAnswer.body);
        return;
      }
      const key = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('item_key') ?? '';
      const value = this.stored.get(key);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: value ? [{ id: key, type: 'items', attributes: { value } }] : [] }));
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  client(): DatastoreClient {
    const port = (this.server.address() as AddressInfo).port;
    return new DatastoreClient({ origin: `http://127.0.0.1:${port}`, site: 'datadoghq.com', overridden: true }, KEYS, { redactor: new SecretRedactor() });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) {
    value = { a: value };
  }
  return value;
}

describe('push hardening', () => {
  let server: AnswerServer;

  before(async () => {
    server = new AnswerServer();
    await server.start();
  });

  after(() => server.close());

  beforeEach(() => {
    server.stored.clear();
    server.bulkRequests = 0;
  });

  it('rejects an item nested too deeply', () => {
    const text = JSON.stringify([{ id: 'deep', d: nested(MAX_ITEM_DEPTH) }]);
    const { diagnostics } = validateDdstoreText(text, { primaryKey: 'id' });
    const deep = diagnostics.find((diagnostic) => diagnostic.code === 'item-too-deep');
    assert.ok(deep, `no item-too-deep diagnostic in ${JSON.stringify(diagnostics.map((d) => d.code))}`);
    assert.equal(deep.severity, 'error');
    assert.match(deep.message, new RegExp(`Item 1 .*more than ${MAX_ITEM_DEPTH} levels`));
  });

  it('accepts an item at the depth limit', () => {
    // The item is level 1, so its property holds MAX_ITEM_DEPTH - 1 levels.
    const text = JSON.stringify([{ id: 'deep', d: nested(MAX_ITEM_DEPTH - 1) }]);
    const { diagnostics } = validateDdstoreText(text, { primaryKey: 'id' });
    assert.deepEqual(diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
  });

  it('fails an unserialisable request without sending', async () => {
    const api = server.client();
    try {
      const items = [{ id: 'deep', d: nested(20_000) }];
      const result = await runPush({ client: api, datastoreId: DATASTORE_ID, items, conflictMode: 'overwrite_on_conflict', primaryKey: 'id', ...FAST_RETRIES });
      assert.equal(result.itemsFailed, 1);
      assert.equal(result.itemsUnknown, 0);
      assert.equal(result.outcomes[0].attempts, 1, 'the request was retried');
      assert.equal(server.bulkRequests, 0, 'a request reached the server');
      assert.match(result.outcomes[0].message ?? '', /nothing was sent/);
    } finally {
      await api.close();
    }
  });

  const unconfirmed: Array<{ name: string; status: number; body?: string }> = [
    { name: 'empty object', status: 200, body: '{}' },
    { name: 'errors list', status: 200, body: '{"errors":["partial failure"]}' },
    { name: 'fewer ids', status: 200, body: '{"data":[{"id":"a","type":"items"}]}' },
    { name: 'no content', status: 204 },
  ];

  for (const answer of unconfirmed) {
    it(`treats 2xx with ${answer.name} as unknown`, async () => {
      server.bulkAnswer = { status: answer.status, body: answer.body };
      const api = server.client();
      try {
        const items = [{ id: 'a', n: 1 }, { id: 'b', n: 2 }];
        const result = await runPush({ client: api, datastoreId: DATASTORE_ID, items, conflictMode: 'fail_on_conflict', primaryKey: 'id', ...FAST_RETRIES });
        assert.equal(result.itemsWritten, 0);
        assert.equal(result.itemsUnknown, 2);
        assert.match(result.outcomes[0].message ?? '', new RegExp(`HTTP ${answer.status} .*not stored as sent`));
      } finally {
        await api.close();
      }
    });
  }

  it('counts 2xx without ids written when read back', async () => {
    server.bulkAnswer = { status: 200, body: '{}' };
    server.stored.set('a', { id: 'a', n: 1 });
    const api = server.client();
    try {
      const result = await runPush({ client: api, datastoreId: DATASTORE_ID, items: [{ id: 'a', n: 1 }], conflictMode: 'fail_on_conflict', primaryKey: 'id', ...FAST_RETRIES });
      assert.equal(result.itemsWritten, 1);
      assert.equal(result.outcomes[0].confirmedByReadBack, true);
    } finally {
      await api.close();
    }
  });

  it('treats 2xx without ids as unknown without a key', async () => {
    server.bulkAnswer = { status: 200, body: '{}' };
    const api = server.client();
    try {
      const result = await runPush({ client: api, datastoreId: DATASTORE_ID, items: [{ id: 'a' }], conflictMode: 'fail_on_conflict', ...FAST_RETRIES });
      assert.equal(result.itemsUnknown, 1);
      assert.match(result.outcomes[0].message ?? '', /primary key is not known/);
    } finally {
      await api.close();
    }
  });
});

describe('conflict on identical items', () => {
  let simulator: Simulator;

  before(async () => {
    simulator = await startPushSimulator();
  });

  after(() => simulator.close());

  for (const blip of [false, true]) {
    it(`counts identical items as stored ${blip ? 'after a blip' : 'without a blip'}`, async () => {
      const items = makeItems(3, blip ? 'blip-' : 'calm-');
      const datastore = simulator.store.getDatastore(DATASTORE_ID);
      assert.ok(datastore);
      for (const item of items.slice(0, 2)) {
        datastore.putItem(String(item.id), item);
      }
      if (blip) {
        simulator.faults.enqueue({ kind: 'reset-before-commit' }, { count: 1, match: { method: 'POST', pathIncludes: '/items/bulk' } });
      }
      const api = clientFor(simulator);
      try {
        const result = await runPush({ client: api, datastoreId: DATASTORE_ID, items, conflictMode: 'fail_on_conflict', primaryKey: 'id', ...FAST_RETRIES });
        assertAccounted(result, 3);
        assert.equal(result.itemsWritten, 3, JSON.stringify(result.outcomes));
        assert.equal(result.itemsAlreadyStored, 2);
        assert.ok(bulkWrites(simulator) >= 2);
      } finally {
        await api.close();
      }
    });
  }
});

describe('pacer wait cap', () => {
  it('caps a long window spent without answers', async () => {
    let now = 1_000_000;
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ clock: { now: () => now }, random: () => 0, maxWaitMs: 5_000, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    pacer.observe({ limit: 10, remaining: 1, resetSeconds: 100_000 }, 200);
    await pacer.acquire();
    // The last request of the window gets no answer (a network error), so no header caps the window.
    pacer.release();
    const controller = new AbortController();
    const blocked = pacer.acquire(controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(blocked, /cancelled/);
    assert.ok(waits.length > 0, 'the pacer did not wait');
    for (const wait of waits) {
      assert.ok(wait.seconds <= 5, `a wait of ${wait.seconds} s exceeds the 5 s maximum`);
    }
    now += 5_100;
    await pacer.acquire();
  });

  it('caps a reset of 1e12 seconds', async () => {
    let now = 2_000_000;
    const waits: RateLimitWait[] = [];
    const pacer = new RateLimitPacer({ clock: { now: () => now }, random: () => 0, maxWaitMs: 5_000, onWait: (wait) => waits.push(wait) });
    await pacer.acquire();
    pacer.observe({ remaining: 0, resetSeconds: 1e12 }, 200);
    const controller = new AbortController();
    const blocked = pacer.acquire(controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(blocked, /cancelled/);
    assert.ok(waits.every((wait) => wait.seconds <= 5), JSON.stringify(waits));
    now += 5_100;
    await pacer.acquire();
  });
});
