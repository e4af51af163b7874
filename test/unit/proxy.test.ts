import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { EXIT_INVALID, EXIT_OK } from '../../src/cli/io';
import { pushCommand } from '../../src/cli/pushCommand';
import { createDispatcher, proxyFromEnvironment } from '../../src/core/api/dispatcherFactory';
import { globalDispatcherUnchanged } from '../../src/core/api/undiciLoader';
import type { Simulator } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';

const TINYPROXY = '/usr/bin/tinyproxy';
const KEYS = { apiKey: 'fake-api-key-proxy-test-00000000001', appKey: 'fake-app-key-proxy-test-0000000000000000001' };
const DATASTORE_ID = '0b7e3a52-8f4d-4c1a-9e2b-3d5f6a7b8c9d';

/** A tinyproxy on 127.0.0.1 with a generated configuration, for one test suite. */
class Tinyproxy {
  private process?: ChildProcess;
  readonly folder = mkdtempSync(join(tmpdir(), 'ddstore-tinyproxy-'));
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get log(): string {
    const file = join(this.folder, 'tinyproxy.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const config = join(this.folder, 'tinyproxy.conf');
    // An empty filter list with FilterDefaultDeny makes tinyproxy refuse every host before it
    // resolves or connects to it, so a request for a Datadog host reaches the proxy and no further.
    writeFileSync(join(this.folder, 'filter'), '');
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        'Listen 127.0.0.1',
        'Allow 127.0.0.1',
        `LogFile "${join(this.folder, 'tinyproxy.log')}"`,
        'LogLevel Connect',
        'MaxClients 20',
        'Timeout 30',
        `Filter "${join(this.folder, 'filter')}"`,
        'FilterDefaultDeny Yes',
        '',
      ].join('\n'),
    );
    // -d keeps it in the foreground, so the test owns the process and stops it by its pid.
    this.process = spawn(TINYPROXY, ['-d', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.process.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForPort(this.port, () => (this.process?.exitCode !== null ? `tinyproxy exited: ${stderr}` : undefined));
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to the port succeeds; rejects when `failed` reports a reason. */
async function waitForPort(port: number, failed: () => string | undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed();
    if (reason) throw new Error(reason);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function captureIo(env: Record<string, string | undefined>): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env, stdout: (text) => out.push(text), stderr: (text) => err.push(text) };
}

const hasTinyproxy = existsSync(TINYPROXY);

(hasTinyproxy ? describe : describe.skip)('proxy through tinyproxy', () => {
  let proxy: Tinyproxy;
  let simulator: Simulator;
  let folder: string;
  let file: string;

  before(async () => {
    proxy = new Tinyproxy();
    await proxy.start();
    simulator = await startSimulator({ credentials: [{ ...KEYS }] });
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'proxied', primaryColumnName: 'id' });
    folder = mkdtempSync(join(tmpdir(), 'ddstore-proxy-'));
    file = join(folder, 'items.ddstore.json');
    writeFileSync(file, JSON.stringify({ primaryKey: 'id', datastore: { id: DATASTORE_ID, site: 'datadoghq.eu' }, items: [{ id: 'a' }, { id: 'b' }] }));
  });

  after(async () => {
    await simulator?.close();
    await proxy?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const connectLine = (): RegExp => new RegExp(`CONNECT 127\\.0\\.0\\.1:${simulator.port}`);

  for (const name of ['HTTP_PROXY', 'http_proxy']) {
    it(`CLI sends the loopback override around ${name}`, async () => {
      // Requests to a loopback override travel in plain HTTP with the keys, so a proxy must never see them.
      const logBefore = proxy.log.length;
      const io = captureIo({ ...keysEnv(), DDSTORE_API_URL: simulator.url, [name]: proxy.url, DDSTORE_LOG: 'debug' });
      const code = await pushCommand(file, { json: true, conflictMode: 'overwrite_on_conflict' }, io);
      assert.equal(code, EXIT_OK, io.out.join('') + io.err.join(''));
      assert.doesNotMatch(proxy.log.slice(logBefore), connectLine());
      assert.match(io.err.join(''), /through the proxy http:\/\/127\.0\.0\.1.* except for loopback addresses/);
    });
  }

  for (const name of ['HTTPS_PROXY', 'https_proxy']) {
    it(`CLI sends Datadog requests through ${name}`, async () => {
      const logBefore = proxy.log.length;
      const io = captureIo({ ...keysEnv(), [name]: proxy.url });
      const code = await pushCommand(file, { json: true, conflictMode: 'overwrite_on_conflict' }, io);
      assert.equal(code, EXIT_INVALID);
      const log = proxy.log.slice(logBefore);
      assert.match(log, /CONNECT api\.datadoghq\.eu:443/);
      assert.match(log, /refused on filtered domain "api\.datadoghq\.eu"/);
      const output = JSON.parse(io.out.join('')) as { error: string };
      assert.match(output.error, /proxy refused to connect to api\.datadoghq\.eu \(HTTP 403\)/);
    });
  }

  it('CLI bypasses the proxy for NO_PROXY', async () => {
    const logBefore = proxy.log.length;
    const io = captureIo({ ...keysEnv(), DDSTORE_API_URL: simulator.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    const code = await pushCommand(file, { json: true, conflictMode: 'overwrite_on_conflict' }, io);
    assert.equal(code, EXIT_OK, io.out.join('') + io.err.join(''));
    assert.doesNotMatch(proxy.log.slice(logBefore), connectLine());
  });

  it('CLI reports a proxy that is down', async () => {
    // Without an override the request goes to the Datadog host through the proxy, which is a
    // closed port on 127.0.0.1, so nothing leaves this machine.
    const io = captureIo({ ...keysEnv(), HTTP_PROXY: `http://127.0.0.1:${await freePort()}` });
    const code = await pushCommand(file, { json: true, conflictMode: 'overwrite_on_conflict' }, io);
    assert.notEqual(code, EXIT_OK);
    const output = JSON.parse(io.out.join('')) as { error: string };
    assert.match(output.error, /failed/);
  });

  it('prefers lower-case proxy variables', () => {
    const settings = proxyFromEnvironment({ https_proxy: 'http://lower.invalid:1', HTTPS_PROXY: 'http://upper.invalid:1', no_proxy: 'a', NO_PROXY: 'b' });
    assert.equal(settings?.httpsProxy, 'http://lower.invalid:1');
    assert.equal(settings?.noProxy, 'a');
  });

  it('hides a proxy password in logs', async () => {
    const lines: string[] = [];
    const logger = { trace: () => undefined, debug: () => undefined, info: (m: string) => lines.push(m), warn: () => undefined, error: () => undefined };
    const { taggedLogger } = await import('../../src/core/log');
    const dispatcher = createDispatcher({
      proxy: { httpsProxy: 'http://user:fake-proxy-password-123@127.0.0.1:9', source: 'test' },
      logger: taggedLogger(logger, 'test'),
    });
    await dispatcher.close();
    assert.equal(lines.length, 1);
    assert.equal(lines[0].includes('fake-proxy-password-123'), false);
    assert.match(lines[0], /http:\/\/127\.0\.0\.1:9/);
  });

  it('leaves the global dispatcher alone', () => {
    assert.equal(globalDispatcherUnchanged(), true);
  });
});

function keysEnv(): Record<string, string> {
  return { DD_API_KEY: KEYS.apiKey, DD_APP_KEY: KEYS.appKey };
}
