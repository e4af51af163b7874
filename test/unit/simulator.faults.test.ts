import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Fault, type Simulator } from '../../src/simulator';
import { FaultPlan } from '../../src/simulator/faults';

const API = '/api/v2/actions-datastores';
const FAKE_KEYS = { 'dd-api-key': 'fake-api-key-for-tests', 'dd-application-key': 'fake-app-key-for-tests' };

interface RawReply {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body: Buffer;
  /** Set when the connection failed before or during the response. */
  error?: NodeJS.ErrnoException;
  /** True when the body ended before `content-length` bytes arrived. */
  aborted: boolean;
}

/** Sends one request on a fresh connection and reports what arrived, failures included. */
function rawRequest(simulator: Simulator, method: string, path: string, body?: unknown, timeoutMs = 2000): Promise<RawReply> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { ...FAKE_KEYS, connection: 'close' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const chunks: Buffer[] = [];
    const reply: RawReply = { body: Buffer.alloc(0), aborted: false };
    const request = http.request(`${simulator.url}${path}`, { method, headers, timeout: timeoutMs }, (response) => {
      reply.status = response.statusCode;
      reply.headers = response.headers;
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('aborted', () => {
        reply.aborted = true;
      });
      response.on('error', (error) => {
        reply.error = error;
      });
      response.on('close', () => {
        reply.body = Buffer.concat(chunks);
        if (!response.complete) {
          reply.aborted = true;
        }
        resolve(reply);
      });
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => {
      reply.error = error;
      resolve(reply);
    });
    request.end(payload);
  });
}

function bulkBody(keys: string[]): unknown {
  return { data: { type: 'items', attributes: { conflict_mode: 'fail_on_conflict', values: keys.map((id) => ({ id })) } } };
}

describe('simulator faults', () => {
  let simulator: Simulator;
  let datastoreId: string;
  let bulkPath: string;

  beforeEach(async () => {
    simulator = await startSimulator({ seed: 7 });
    datastoreId = simulator.store.createDatastore({ name: 'faults', primaryColumnName: 'id' }).id;
    bulkPath = `${API}/${datastoreId}/items/bulk`;
  });

  afterEach(async () => {
    await simulator.close();
  });

  function storedKeys(): unknown[] {
    return simulator.store.listItems(datastoreId).map((value) => value.id);
  }

  it('rate-limit sends 429 with format B and all headers', async () => {
    simulator.faults.enqueue({ kind: 'rate-limit', resetSeconds: 3 });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 429);
    assert.deepEqual(JSON.parse(reply.body.toString()), { errors: ['Too many requests'] });
    for (const name of ['limit', 'period', 'remaining', 'reset', 'name']) {
      assert.ok(reply.headers?.[`x-ratelimit-${name}`] !== undefined, name);
    }
    assert.equal(reply.headers?.['x-ratelimit-reset'], '3');
    assert.equal(reply.headers?.['x-ratelimit-remaining'], '0');
    assert.deepEqual(storedKeys(), []);
    assert.equal(simulator.stats.faultsInjected['rate-limit'], 1);
  });

  it('server-error 500 sends JSON:API and commits nothing', async () => {
    simulator.faults.enqueue({ kind: 'server-error', status: 500 });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 500);
    assert.equal(reply.headers?.['content-type'], 'application/vnd.api+json');
    assert.equal(JSON.parse(reply.body.toString()).errors[0].status, '500');
    assert.deepEqual(storedKeys(), []);
  });

  it('server-error 502 can send an HTML page', async () => {
    simulator.faults.enqueue({ kind: 'server-error', status: 502, html: true });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 502);
    assert.equal(reply.headers?.['content-type'], 'text/html');
    assert.match(reply.body.toString(), /502 Bad Gateway/);
    assert.deepEqual(storedKeys(), []);
  });

  it('reset-before-commit drops the connection only', async () => {
    simulator.faults.enqueue({ kind: 'reset-before-commit' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, undefined);
    assert.equal(reply.error?.code, 'ECONNRESET');
    assert.deepEqual(storedKeys(), []);
    assert.equal(simulator.requestLog.at(-1)?.status, 0);
  });

  it('reset-after-commit commits, then drops the connection', async () => {
    simulator.faults.enqueue({ kind: 'reset-after-commit' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a', 'b']));
    assert.equal(reply.status, undefined);
    assert.equal(reply.error?.code, 'ECONNRESET');
    assert.deepEqual(storedKeys(), ['a', 'b']);
  });

  it('server-error-after-commit commits, then answers 503', async () => {
    simulator.faults.enqueue({ kind: 'server-error-after-commit', status: 503 });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 503);
    assert.deepEqual(storedKeys(), ['a']);
    const retry = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(retry.status, 409);
  });

  it('delay commits at once and answers late', async () => {
    simulator.faults.enqueue({ kind: 'delay', ms: 150 });
    const started = Date.now();
    const pending = rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(storedKeys(), ['a']);
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.ok(Date.now() - started >= 140);
  });

  it('hang never answers until the client gives up', async () => {
    simulator.faults.enqueue({ kind: 'hang' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']), 200);
    assert.equal(reply.status, undefined);
    assert.equal(reply.error?.code, 'ETIMEDOUT');
    assert.deepEqual(storedKeys(), []);
  });

  it('hang is released by close', async () => {
    simulator.faults.enqueue({ kind: 'hang' });
    const pending = rawRequest(simulator, 'GET', API, undefined, 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await simulator.close();
    const reply = await pending;
    assert.equal(reply.status, undefined);
    assert.ok(reply.error !== undefined);
    simulator = await startSimulator();
  });

  it('html sends a proxy error page', async () => {
    simulator.faults.enqueue({ kind: 'html', status: 504 });
    const reply = await rawRequest(simulator, 'GET', API);
    assert.equal(reply.status, 504);
    assert.equal(reply.headers?.['content-type'], 'text/html');
    assert.match(reply.body.toString(), /<html>/);
  });

  it('not-json commits and answers 200 with text', async () => {
    simulator.faults.enqueue({ kind: 'not-json' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 200);
    assert.throws(() => JSON.parse(reply.body.toString()));
    assert.deepEqual(storedKeys(), ['a']);
  });

  it('truncated cuts the body below content-length', async () => {
    simulator.faults.enqueue({ kind: 'truncated' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a', 'b', 'c']));
    assert.equal(reply.status, 200);
    assert.ok(reply.aborted || reply.error !== undefined, 'the response must end early');
    const declared = Number(reply.headers?.['content-length']);
    assert.ok(reply.body.length < declared, `${reply.body.length} < ${declared}`);
    assert.ok(reply.body.length > 0);
    assert.deepEqual(storedKeys(), ['a', 'b', 'c']);
  });

  it('huge-body sends the requested size as valid JSON', async () => {
    simulator.faults.enqueue({ kind: 'huge-body', bytes: 3 * 1024 * 1024 });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 200);
    assert.equal(reply.body.length, 3 * 1024 * 1024);
    const parsed = JSON.parse(reply.body.toString());
    assert.equal(parsed.data.length, 1);
  });

  it('redirect sends 307 with the location', async () => {
    simulator.faults.enqueue({ kind: 'redirect', location: 'http://127.0.0.1:1/elsewhere' });
    const reply = await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']));
    assert.equal(reply.status, 307);
    assert.equal(reply.headers?.location, 'http://127.0.0.1:1/elsewhere');
    assert.deepEqual(storedKeys(), []);
  });

  it('applies a fault only to matching requests, count times', async () => {
    simulator.faults.enqueue({ kind: 'server-error', status: 503 }, { count: 2, match: { method: 'post', pathIncludes: '/items/bulk' } });
    assert.equal((await rawRequest(simulator, 'GET', API)).status, 200);
    assert.equal((await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']))).status, 503);
    assert.equal((await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']))).status, 503);
    assert.equal((await rawRequest(simulator, 'POST', bulkPath, bulkBody(['a']))).status, 200);
    assert.equal(simulator.faults.pending.length, 0);
    assert.equal(simulator.stats.faultsInjected['server-error'], 2);
  });

  it('random mode is repeatable with a seed', () => {
    const draw = (): Array<string | undefined> => {
      const plan = new FaultPlan();
      plan.setRandom({ probability: 0.5, kinds: ['server-error', { kind: 'delay', ms: 5 }], seed: 42 });
      return Array.from({ length: 50 }, () => plan.take('POST', '/x')?.kind);
    };
    const first = draw();
    assert.deepEqual(draw(), first);
    const injected = first.filter((kind) => kind !== undefined).length;
    assert.ok(injected > 10, `injected ${injected}`);
    assert.ok(injected < 40, `injected ${injected}`);
    assert.ok(first.includes('server-error'));
    assert.ok(first.includes('delay'));
  });

  it('rejects invalid fault descriptions', () => {
    assert.throws(() => simulator.faults.enqueue({ kind: 'meteor' } as unknown as Fault), /invalid fault kind/);
    assert.throws(() => simulator.faults.enqueue({ kind: 'redirect' } as unknown as Fault), /location/);
    assert.throws(() => simulator.faults.setRandom({ probability: 2, kinds: ['hang'] }), /probability/);
  });

  describe('control routes', () => {
    async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
      const response = await fetch(`${simulator.url}/__simulator/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: await response.json() };
    }

    it('queues faults without keys', async () => {
      const queued = await control('POST', 'faults', [{ kind: 'server-error', status: 502 }, { fault: { kind: 'rate-limit' }, count: 2 }]);
      assert.equal(queued.status, 200);
      assert.deepEqual(queued.json, { pending: 2 });
      assert.equal((await rawRequest(simulator, 'GET', API)).status, 502);
      assert.equal((await rawRequest(simulator, 'GET', API)).status, 429);
      const invalid = await control('POST', 'faults', { kind: 'meteor' });
      assert.equal(invalid.status, 400);
      await control('DELETE', 'faults');
      assert.equal((await rawRequest(simulator, 'GET', API)).status, 200);
    });

    it('seeds datastores, reports stats and resets', async () => {
      const seeded = await control('POST', 'datastores', {
        name: 'seeded',
        primaryColumnName: 'sku',
        id: '11111111-2222-4333-8444-555555555555',
        items: [{ sku: 'a1' }, { sku: 'a2' }],
      });
      assert.equal(seeded.status, 200);
      assert.deepEqual(simulator.store.listItems('11111111-2222-4333-8444-555555555555'), [{ sku: 'a1' }, { sku: 'a2' }]);

      await rawRequest(simulator, 'GET', API);
      const stats = (await control('GET', 'stats')).json as { requests: number; byStatus: Record<string, number> };
      assert.equal(stats.requests, 1);
      assert.deepEqual(stats.byStatus, { 200: 1 });

      await control('POST', 'reset');
      assert.equal(simulator.store.listDatastores().length, 0);
      assert.equal(simulator.stats.requests, 0);
      assert.equal(simulator.requestLog.length, 0);
    });
  });
});

describe('simulator over TLS', function () {
  this.timeout(10_000);
  let tls: { cert: Buffer; key: Buffer } | undefined;

  before(function () {
    // A throwaway self-signed certificate for 127.0.0.1, made at test time so no key is stored in the repository.
    const directory = mkdtempSync(join(tmpdir(), 'ddstore-simulator-tls-'));
    const result = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem')],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      this.skip();
    }
    tls = { cert: readFileSync(join(directory, 'cert.pem')), key: readFileSync(join(directory, 'key.pem')) };
    rmSync(directory, { recursive: true, force: true });
  });

  function httpsGet(url: string, ca: Buffer): Promise<{ status?: number; body: string; error?: NodeJS.ErrnoException }> {
    return new Promise((resolvePromise) => {
      const request = https.get(url, { ca, headers: FAKE_KEYS }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolvePromise({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      request.on('error', (error: NodeJS.ErrnoException) => resolvePromise({ body: '', error }));
    });
  }

  it('serves HTTPS and resets connections', async () => {
    const simulator = await startSimulator({ tls });
    try {
      assert.match(simulator.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const listed = await httpsGet(`${simulator.url}${API}`, tls?.cert as Buffer);
      assert.equal(listed.status, 200);
      assert.deepEqual(JSON.parse(listed.body), { data: [] });

      simulator.faults.enqueue({ kind: 'reset-before-commit' });
      const reset = await httpsGet(`${simulator.url}${API}`, tls?.cert as Buffer);
      assert.equal(reset.status, undefined);
      assert.ok(reset.error !== undefined);
    } finally {
      await simulator.close();
    }
  });
});
