// The CLI against a hostile server of its own on 127.0.0.1: echoed keys, hangs, rate limits,
// redirects and proxies, plus input files and options that the CLI must reject clearly.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { createDispatcher } from '../../src/core/api/dispatcherFactory';
import { resolveEndpoint } from '../../src/core/api/endpoint';
import { loadUndici } from '../../src/core/api/undiciLoader';

const API_KEY = 'fake-api-key-echo-test-0000000000000';
const APP_KEY = 'fake-app-key-echo-test-11111111111111111111';
const DATASTORE_ID = '6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7';

type Mode = 'echo-name' | 'echo-escaped' | 'redirect' | 'html' | 'hang' | 'rate-limit' | 'ok';

/** A Datadog look-alike whose bulk-write answer depends on `mode`. */
class HostileServer {
  mode: Mode = 'ok';
  bulkRequests = 0;
  private readonly server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => this.answer(request, response, body));
  });

  private answer(request: http.IncomingMessage, response: http.ServerResponse, body: string): void {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { id: DATASTORE_ID, type: 'datastores', attributes: { name: 'hostile', primary_column_name: 'id' } } }));
      return;
    }
    this.bulkRequests += 1;
    const dump = Object.entries(request.headers).map(([name, value]) => `${name}: ${String(value)}`).join(' ');
    const appKey = String(request.headers['dd-application-key']);
    switch (this.mode) {
      case 'echo-name':
        response.writeHead(this.bulkRequests === 1 ? 429 : 200, { 'x-ratelimit-reset': '1', 'x-ratelimit-name': appKey, 'content-type': 'application/json' });
        response.end(this.bulkRequests === 1 ? '{"errors":["Too many requests"]}' : this.ids(body));
        return;
      case 'echo-escaped':
        // \u002d is "-" in JSON, so the raw body does not contain the key but the parsed detail does.
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(`{"errors":[{"status":"400","title":"Bad request","detail":"${'x'.repeat(150)} ${dump.replace(/-/g, '\\u002d')}"}]}`);
        return;
      case 'redirect':
        response.writeHead(307, { location: `http://127.0.0.1:1/?k=${encodeURIComponent(appKey).replace(/-/g, '%2D')}` });
        response.end();
        return;
      case 'html':
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end(`<html><body>${'x'.repeat(170)}<pre>${dump}</pre></body></html>`);
        return;
      case 'hang':
        return;
      case 'rate-limit':
        response.writeHead(this.bulkRequests === 1 ? 429 : 200, { 'x-ratelimit-reset': '3', 'content-type': 'application/json' });
        response.end(this.bulkRequests === 1 ? '{"errors":["Too many requests"]}' : this.ids(body));
        return;
      default:
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(this.ids(body));
    }
  }

  private ids(body: string): string {
    const values = (JSON.parse(body) as { data: { attributes: { values: unknown[] } } }).data.attributes.values;
    return JSON.stringify({ data: values.map((_, index) => ({ id: String(index), type: 'items' })) });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function captureIo(env: Record<string, string | undefined>, extra: Partial<CliIo> = {}): CliIo & { out: string[]; err: string[]; all(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env, stdout: (text) => out.push(text), stderr: (text) => err.push(text), all: () => out.join('') + err.join(''), ...extra };
}

/** Returns every 12-character piece of each key, so a key cut short by an excerpt is caught too. */
function keyPieces(): string[] {
  return [API_KEY, APP_KEY].flatMap((key) => Array.from({ length: key.length - 11 }, (_, start) => key.slice(start, start + 12)));
}

function assertNoKey(text: string, where: string): void {
  for (const piece of keyPieces()) {
    assert.ok(!text.includes(piece), `${where} contains a piece of a key`);
  }
}

describe('CLI hardening', () => {
  let server: HostileServer;
  let folder: string;
  let file: string;
  let env: Record<string, string>;

  before(async () => {
    server = new HostileServer();
    await server.start();
    folder = mkdtempSync(join(tmpdir(), 'ddstore-cli-hardening-'));
    file = join(folder, 'items.ddstore.json');
    writeFileSync(file, JSON.stringify({ primaryKey: 'id', datastore: { id: DATASTORE_ID }, items: [{ id: 'a', n: 1 }] }));
    env = { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY, DDSTORE_API_URL: server.url, DDSTORE_LOG: 'debug' };
  });

  after(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  beforeEach(() => {
    server.bulkRequests = 0;
  });

  for (const mode of ['echo-name', 'echo-escaped', 'redirect', 'html'] as const) {
    for (const json of [false, true]) {
      it(`masks keys echoed by ${mode}${json ? ' in --json' : ''}`, async () => {
        server.mode = mode;
        const io = captureIo(env);
        await main(['push', file, '--conflict-mode', 'overwrite_on_conflict', ...(json ? ['--json'] : [])], io);
        assert.ok(server.bulkRequests > 0, 'no bulk write reached the server');
        assertNoKey(io.all(), 'the CLI output');
      });
    }
  }

  it('reports a redirect once', async () => {
    server.mode = 'redirect';
    const io = captureIo({ ...env, DDSTORE_LOG: '' });
    await main(['push', file], io);
    assert.equal(io.all().match(/HTTP 307/g)?.length, 2, io.all());
    assert.doesNotMatch(io.all(), /more error|empty body|HTTP 307 HTTP 307/);
  });

  it('names an HTTP status once', async () => {
    server.mode = 'html';
    const io = captureIo({ ...env, DDSTORE_LOG: '' });
    await main(['push', file, '--timeout', '5'], io);
    assert.doesNotMatch(io.all(), /HTTP 502 HTTP 502|\(HTTP 502\) HTTP 502/);
    assert.match(io.all(), /1 unknown: sent, outcome not confirmed/);
    assert.doesNotMatch(io.all(), /Resume/);
  });

  it('writes singular counts', async () => {
    server.mode = 'ok';
    const io = captureIo({ ...env, DDSTORE_LOG: '' });
    await main(['push', file], io);
    assert.match(io.all(), /Writing 1 item in 1 request to/);
    assert.match(io.all(), /1 of 1 item written/);
  });

  it('reports a wait once on a non-TTY stderr', async () => {
    server.mode = 'rate-limit';
    const io = captureIo({ ...env, DDSTORE_LOG: '' }, { stderrIsTTY: false });
    assert.equal(await main(['push', file], io), 0, io.all());
    const lines = io.err.join('').split('\n').filter((line) => line.includes('waiting'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /waiting for the rate limit: \d+ s/);
  });

  it('cancels on SIGTERM with a report', async () => {
    server.mode = 'hang';
    const child = spawn(process.execPath, ['dist/cli.js', 'push', file], { env: { ...process.env, ...env, DDSTORE_LOG: '' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (server.bulkRequests > 0) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGTERM');
    assert.equal(await exited, 1);
    assert.match(stdout, /0 of 1 item written .* 1 unknown: sent, outcome not confirmed/);
  });

  it('rejects an unknown option readably', async () => {
    const io = captureIo({});
    assert.equal(await main(['push', file, '--dry-run'], io), 2);
    assert.match(io.err.join(''), /^ddstore: unknown option --dry-run\. Run "ddstore --help" to list the options\.\n/);
  });

  it('rejects a bad --timeout', async () => {
    const io = captureIo(env);
    assert.equal(await main(['push', file, '--timeout', '0'], io), 2);
    assert.match(io.err.join(''), /--timeout "0" is not valid/);
  });

  it('validates a bare number clearly', async () => {
    const numberFile = join(folder, 'number.json');
    writeFileSync(numberFile, '42');
    const io = captureIo({});
    assert.equal(await main(['validate', numberFile], io), 2);
    assert.match(io.all(), /must be an array of items or an object/);
    assert.doesNotMatch(io.all(), /primary-key-unknown/);
  });

  it('rejects a UTF-16 file', async () => {
    const utf16File = join(folder, 'utf16.json');
    writeFileSync(utf16File, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[{"id":"a"}]', 'utf16le')]));
    const io = captureIo({});
    assert.equal(await main(['validate', utf16File], io), 2);
    assert.match(io.err.join(''), /UTF-16 .*must be UTF-8/);
  });

  it('rejects a device file', async () => {
    const io = captureIo({});
    assert.equal(await main(['validate', '/dev/zero'], io), 2);
    assert.match(io.err.join(''), /\/dev\/zero: it is a character device, not a regular file/);
  });

  it('validates standard input for -', async () => {
    const io = captureIo({}, { readStdin: () => Promise.resolve(Buffer.from('[{"id":"a"}]')) });
    assert.equal(await main(['validate', '-', '--primary-key', 'id'], io), 0, io.all());
    assert.match(io.out.join(''), /<stdin>: valid, 1 item/);
  });
});

describe('API URL override', () => {
  it('rejects a blank override by name', () => {
    assert.throws(() => resolveEndpoint('datadoghq.com', { value: '  ', source: 'DDSTORE_API_URL' }), /DDSTORE_API_URL is set but blank/);
  });

  it('treats an empty override as unset', () => {
    assert.equal(resolveEndpoint('datadoghq.com', { value: '', source: 'DDSTORE_API_URL' }).origin, 'https://api.datadoghq.com');
  });

  for (const value of ['http://127.0.0.1:9/prefix', 'http://127.0.0.1:9/?x=1', 'http://127.0.0.1:9/#top']) {
    it(`rejects ${value}`, () => {
      assert.throws(() => resolveEndpoint('datadoghq.com', { value, source: 'DDSTORE_API_URL' }), /path, query or fragment/);
    });
  }

  it('avoids the Agent port in examples', () => {
    assert.throws(() => resolveEndpoint('datadoghq.com', { value: 'not a url', source: 'DDSTORE_API_URL' }), (error: Error) => !error.message.includes('8126'));
  });
});

describe('proxy and loopback', () => {
  let proxy: http.Server;
  const seen: string[] = [];
  let target: http.Server;

  before(async () => {
    proxy = http.createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      response.writeHead(502);
      response.end();
    });
    // The proxy records a tunnel request and refuses it, so nothing leaves this machine.
    proxy.on('connect', (request: http.IncomingMessage, socket: import('node:net').Socket) => {
      seen.push(`CONNECT ${request.url}`);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    target = http.createServer((_request, response) => response.end('{}'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await new Promise((resolve) => proxy.close(resolve));
    await new Promise((resolve) => target.close(resolve));
  });

  it('never proxies a loopback origin', async () => {
    seen.length = 0;
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const dispatcher = createDispatcher({ proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl, source: 'test' } });
    try {
      const response = await loadUndici().request(`http://127.0.0.1:${(target.address() as AddressInfo).port}/api/v2/actions-datastores`, { dispatcher });
      await response.body.text();
      assert.equal(response.statusCode, 200);
      assert.deepEqual(seen, []);
    } finally {
      await dispatcher.close();
    }
  });

  it('proxies a Datadog host', async () => {
    seen.length = 0;
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const dispatcher = createDispatcher({ proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl, source: 'test' } });
    try {
      await assert.rejects(loadUndici().request('https://api.datadoghq.eu/api/v2/actions-datastores', { dispatcher }));
      assert.deepEqual(seen, ['CONNECT api.datadoghq.eu:443']);
    } finally {
      await dispatcher.close();
    }
  });
});
