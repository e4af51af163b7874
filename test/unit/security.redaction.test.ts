import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { pushCommand } from '../../src/cli/pushCommand';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { resolveEndpoint } from '../../src/core/api/endpoint';
import { errorMessage } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import { taggedLogger } from '../../src/core/log';
import { runPushJob } from '../../src/core/push/pushJob';
import { PushJournal } from '../../src/core/push/pushJournal';

/** Obviously fake keys. Tests compare against them and never print them. */
const KEYS = { apiKey: 'fake-api-key-redaction-test-000000001', appKey: 'fake-app-key-redaction-test-0000000000000001' };
const DATASTORE_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

type Mode = 'ok' | 'echo-500' | 'echo-400' | 'echo-401' | 'echo-403' | 'html-502' | 'redirect' | 'hang' | 'reset';

/**
 * A hostile API on 127.0.0.1 that copies every request header, keys included, into its
 * error bodies, so any path that shows a body would show the keys.
 */
class EchoServer {
  readonly server: http.Server;
  getMode: Mode = 'ok';
  writeMode: Mode = 'ok';
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor() {
    this.server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => this.answer(request, response));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const isWrite = request.method === 'POST';
    const isDatastoreGet = request.method === 'GET' && /\/actions-datastores\/[^/]+$/.test(request.url ?? '');
    let mode = 'ok' as typeof this.writeMode | typeof this.getMode | 'ok';
    if (isWrite) {
      mode = this.writeMode;
    } else if (isDatastoreGet) {
      mode = this.getMode;
    }
    const echo = JSON.stringify(request.headers);
    switch (mode) {
      case 'ok':
        if (isDatastoreGet) {
          this.json(response, 200, { data: { id: DATASTORE_ID, type: 'datastores', attributes: { name: 'echo', primary_column_name: 'id' } } });
        } else if (isWrite) {
          this.json(response, 200, { data: [] });
        } else {
          this.json(response, 200, { data: [] });
        }
        return;
      case 'echo-500':
      case 'echo-400':
      case 'echo-401':
      case 'echo-403': {
        const status = Number(mode.slice(5));
        this.json(response, status, { errors: [{ status: String(status), title: `echo ${echo}`, detail: echo, source: { pointer: '/data/attributes/values/0/id' } }] });
        return;
      }
      case 'html-502':
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end(`<!doctype html><html><body><h1>Bad Gateway</h1><pre>${echo}</pre></body></html>`);
        return;
      case 'redirect':
        response.writeHead(307, { location: `http://127.0.0.1:9/steal?h=${encodeURIComponent(echo)}` });
        response.end(echo);
        return;
      case 'hang':
        return;
      case 'reset':
        request.socket.destroy();
        return;
    }
  }

  private json(response: http.ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}

function findKeys(text: string): string[] {
  const found: string[] = [];
  if (text.includes(KEYS.apiKey)) found.push('API key');
  if (text.includes(KEYS.appKey)) found.push('application key');
  return found;
}

function captureIo(env: Record<string, string>): CliIo & { all(): string } {
  const chunks: string[] = [];
  return {
    env,
    stdout: (text) => chunks.push(text),
    stderr: (text) => chunks.push(text),
    all: () => chunks.join(''),
  };
}

function capturingLogger(lines: string[]): Logger {
  const write = (message: string | Error): void => {
    lines.push(message instanceof Error ? message.message : message);
  };
  return taggedLogger({ trace: write, debug: write, info: write, warn: write, error: write }, 'test');
}

describe('keys in outputs', () => {
  let server: EchoServer;
  let folder: string;
  let file: string;

  before(async () => {
    server = new EchoServer();
    await server.listen();
    folder = mkdtempSync(join(tmpdir(), 'ddstore-redaction-'));
    file = join(folder, 'items.ddstore.json');
    const items = Array.from({ length: 150 }, (_, index) => ({ id: `item-${index}` }));
    writeFileSync(file, JSON.stringify({ primaryKey: 'id', datastore: { id: DATASTORE_ID, site: 'datadoghq.eu' }, items }));
  });

  after(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    DD_API_KEY: KEYS.apiKey,
    DD_APP_KEY: KEYS.appKey,
    DDSTORE_API_URL: server.url,
    DDSTORE_LOG: 'debug',
    ...extra,
  });

  const cliCases: Array<{ name: string; getMode?: Mode; writeMode?: Mode; env?: () => Record<string, string>; file?: () => string }> = [
    { name: 'datastore read 403', getMode: 'echo-403' },
    { name: 'datastore read 401', getMode: 'echo-401' },
    { name: 'datastore read 500 echo', getMode: 'echo-500' },
    { name: 'datastore read HTML', getMode: 'html-502' },
    { name: 'datastore read redirect', getMode: 'redirect' },
    { name: 'write 500 echo', writeMode: 'echo-500' },
    { name: 'write 400 echo', writeMode: 'echo-400' },
    { name: 'write 403 echo', writeMode: 'echo-403' },
    { name: 'write HTML', writeMode: 'html-502' },
    { name: 'write redirect', writeMode: 'redirect' },
    { name: 'write connection reset', writeMode: 'reset' },
    { name: 'network error', env: () => env({ DDSTORE_API_URL: 'http://127.0.0.1:9' }) },
    { name: 'override not loopback', env: () => env({ DDSTORE_API_URL: 'https://evil.example.com' }) },
    {
      name: 'site not Datadog',
      file: () => {
        const path = join(folder, 'evil-site.ddstore.json');
        writeFileSync(path, JSON.stringify({ primaryKey: 'id', datastore: { id: DATASTORE_ID, site: 'evil.example.com' }, items: [{ id: 'a' }] }));
        return path;
      },
    },
    {
      name: 'invalid file',
      file: () => {
        const path = join(folder, 'invalid.ddstore.json');
        writeFileSync(path, `{"primaryKey": "id", "items": [{"id": "${KEYS.apiKey.slice(0, 4)}"}, {"name": 1}]`);
        return path;
      },
    },
  ];

  for (const testCase of cliCases) {
    for (const json of [false, true]) {
      it(`CLI ${testCase.name}${json ? ' --json' : ''}`, async () => {
        server.getMode = testCase.getMode ?? 'ok';
        server.writeMode = testCase.writeMode ?? 'ok';
        const io = captureIo(testCase.env?.() ?? env());
        const code = await pushCommand(testCase.file?.() ?? file, { json, conflictMode: 'overwrite_on_conflict', concurrency: '2' }, io);
        const output = io.all();
        assert.notEqual(code, 0, 'the push should fail');
        assert.ok(output.length > 0, 'the CLI printed nothing');
        assert.deepEqual(findKeys(output), [], `the ${testCase.name} output contains a key`);
      });
    }
  }

  it('echo server really echoes the keys', async () => {
    // Guards the test itself: without this, a server that drops headers would make every case pass.
    server.getMode = 'echo-500';
    const response = await new Promise<string>((resolve, reject) => {
      const request = http.request(`${server.url}/api/v2/actions-datastores/${DATASTORE_ID}`, { headers: { 'dd-api-key': KEYS.apiKey } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      });
      request.on('error', reject);
      request.end();
    });
    assert.deepEqual(findKeys(response), ['API key']);
  });

  for (const mode of ['echo-500', 'echo-400', 'echo-403', 'html-502', 'redirect', 'hang', 'reset'] as const) {
    it(`journal and log after write ${mode}`, async () => {
      server.writeMode = mode;
      const journalFolder = join(folder, `journal-${mode}`);
      const lines: string[] = [];
      const logger = capturingLogger(lines);
      const client = new DatastoreClient(resolveEndpoint('datadoghq.eu', { value: server.url, source: 'test' }), KEYS, { logger });
      const items = Array.from({ length: 150 }, (_, index) => ({ id: `item-${index}` }));
      let thrown = '';
      let accounted = -1;
      try {
        const { result } = await runPushJob({
          file,
          text: readFileSync(file, 'utf8'),
          items,
          client,
          datastore: { id: DATASTORE_ID, name: 'echo', primaryColumnName: 'id' },
          conflictMode: 'overwrite_on_conflict',
          journal: new PushJournal(journalFolder),
          tuning: { concurrency: 2, maxAttempts: 2, timeoutMs: 300, backoffBaseMs: 1, backoffCapMs: 5 },
          logger,
        });
        accounted = result.itemsWritten + result.itemsFailed + result.itemsUnknown + result.itemsSkipped;
        lines.push(JSON.stringify(result));
      } catch (error) {
        thrown = errorMessage(error);
      } finally {
        await client.close();
      }
      assert.equal(thrown, '', `the push threw: ${thrown}`);
      assert.equal(accounted, items.length, 'the result does not account for every item');
      const journalText = readdirSync(journalFolder)
        .map((name) => readFileSync(join(journalFolder, name), 'utf8'))
        .join('\n');
      assert.ok(journalText.length > 0, 'the journal is empty');
      assert.deepEqual(findKeys(journalText), [], 'the journal contains a key');
      assert.deepEqual(findKeys(lines.join('\n')), [], 'the log or the result contains a key');
    });
  }
});
