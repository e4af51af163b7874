import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { resolveEndpoint } from '../../src/core/api/endpoint';
import { errorMessage } from '../../src/core/errors';
import { SecretRedactor } from '../../src/core/log';
import { runPushJob } from '../../src/core/push/pushJob';
import type { PushResult } from '../../src/core/push/pushTypes';
import type { Fault, Simulator } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';

const KEYS = { apiKey: 'fake-api-key-hostile-test-0000000001', appKey: 'fake-app-key-hostile-test-00000000000000001' };
const DATASTORE_ID = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
const ITEMS = Array.from({ length: 250 }, (_, index) => ({ id: `item-${index}`, n: index }));

function accounted(result: PushResult): number {
  return result.itemsWritten + result.itemsFailed + result.itemsUnknown + result.itemsSkipped;
}

describe('hostile answers', () => {
  let simulator: Simulator;
  /** Records every request that reaches the redirect target; none may. */
  let elsewhere: http.Server;
  const elsewhereRequests: string[] = [];

  before(async () => {
    simulator = await startSimulator({ credentials: [{ ...KEYS }] });
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'hostile', primaryColumnName: 'id' });
    elsewhere = http.createServer((request, response) => {
      elsewhereRequests.push(`${request.method} ${request.url}`);
      response.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await simulator.close();
    await new Promise((resolve) => elsewhere.close(resolve));
  });

  const client = (maxResponseBytes?: number): DatastoreClient =>
    new DatastoreClient(resolveEndpoint('datadoghq.eu', { value: simulator.url, source: 'test' }), KEYS, {
      redactor: new SecretRedactor(),
      maxResponseBytes,
    });

  async function pushWith(fault: Fault, count: number, maxResponseBytes?: number): Promise<PushResult> {
    simulator.faults.enqueue(fault, { count, match: { method: 'POST', pathIncludes: '/items/bulk' } });
    const api = client(maxResponseBytes);
    try {
      const { result } = await runPushJob({
        file: 'hostile.ddstore.json',
        text: JSON.stringify(ITEMS),
        items: ITEMS,
        client: api,
        datastore: { id: DATASTORE_ID, name: 'hostile', primaryColumnName: 'id' },
        conflictMode: 'overwrite_on_conflict',
        tuning: { concurrency: 1, maxAttempts: 1, timeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 5 },
      });
      return result;
    } finally {
      await api.close();
    }
  }

  const cases: Array<{ name: string; fault: () => Fault; message: RegExp; maxResponseBytes?: number }> = [
    { name: 'HTML error page', fault: () => ({ kind: 'html', status: 502 }), message: /HTML page/ },
    { name: 'body not JSON', fault: () => ({ kind: 'not-json' }), message: /not JSON/ },
    { name: 'truncated body', fault: () => ({ kind: 'truncated' }), message: /failed: .*(closed|terminated|UND_ERR)/ },
    { name: 'huge body', fault: () => ({ kind: 'huge-body', bytes: 2 * 1024 * 1024 }), message: /larger than 65536 bytes/, maxResponseBytes: 64 * 1024 },
    { name: 'redirect to another host', fault: () => ({ kind: 'redirect', location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/` }), message: /does not follow redirects/ },
  ];

  for (const testCase of cases) {
    it(`${testCase.name} accounts for every item`, async () => {
      const result = await pushWith(testCase.fault(), 3, testCase.maxResponseBytes);
      assert.equal(accounted(result), ITEMS.length);
      const bad = result.outcomes.filter((outcome) => outcome.state !== 'written');
      assert.ok(bad.length > 0, 'no request failed, so the fault was not injected');
      for (const outcome of bad) {
        assert.match(outcome.message ?? '', testCase.message, `request ${outcome.index}: ${outcome.message}`);
      }
      // A committed request that got an unusable answer must not be reported as rejected.
      if (['not-json', 'truncated', 'huge-body'].includes(testCase.fault().kind)) {
        assert.equal(result.itemsFailed, 0, 'items the server committed were reported as rejected');
        assert.ok(bad.every((outcome) => outcome.state === 'unknown'), 'a committed request is not reported as unknown');
      }
    });
  }

  it('redirect target receives nothing', () => {
    assert.deepEqual(elsewhereRequests, []);
  });

  it('HTML answer to a datastore read is explained', async () => {
    simulator.faults.enqueue({ kind: 'html', status: 403 }, { match: { method: 'GET' } });
    const api = client();
    try {
      await assert.rejects(api.getDatastore(DATASTORE_ID), (error: Error) => {
        assert.match(errorMessage(error), /HTTP 403/);
        assert.match(errorMessage(error), /HTML page/);
        return true;
      });
    } finally {
      await api.close();
    }
  });

  it('wrong content type on success is explained', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Proxy login required</body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const api = new DatastoreClient(resolveEndpoint('datadoghq.eu', { value: url, source: 'test' }), KEYS, { redactor: new SecretRedactor() });
    try {
      await assert.rejects(api.listDatastores(), /not JSON\. A proxy may have answered/);
    } finally {
      await api.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
