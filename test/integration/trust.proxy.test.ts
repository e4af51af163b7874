import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { createDispatcher, trustedCaCertificates } from '../../src/core/api/dispatcherFactory';
import { resolveEndpoint } from '../../src/core/api/endpoint';
import { vscodeProxySettings } from '../../src/extension/push/clientFactory';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_KEYS, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const TINYPROXY = '/usr/bin/tinyproxy';
const DATASTORE_ID = '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f';

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

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`tinyproxy does not listen on ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

(fs.existsSync(TINYPROXY) ? describe : describe.skip)('VS Code proxy settings', () => {
  let simulator: Simulator;
  let proxy: ChildProcess;
  let folder: string;
  let port: number;
  const logText = (): string => {
    const file = path.join(folder, 'tinyproxy.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };

  before(async () => {
    await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'proxy', primaryColumnName: 'id' });
    await storeTestKeys();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ddstore-vscode-proxy-'));
    port = await freePort();
    const config = path.join(folder, 'tinyproxy.conf');
    // An empty filter list with FilterDefaultDeny makes tinyproxy refuse every host before it
    // resolves or connects to it, so requests to Datadog hosts reach the proxy and go no further.
    fs.writeFileSync(path.join(folder, 'filter'), '');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Allow 127.0.0.1',
        `LogFile "${path.join(folder, 'tinyproxy.log')}"`,
        'LogLevel Connect',
        `Filter "${path.join(folder, 'filter')}"`,
        'FilterDefaultDeny Yes',
        '',
      ].join('\n'),
    );
    proxy = spawn(TINYPROXY, ['-d', '-c', config], { stdio: 'ignore' });
    await waitForPort(port, proxy);
  });

  after(async () => {
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy.once('exit', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /**
   * Lists datastores on the Datadog API host of the test site (no loopback override) through a
   * client built from the given `http.*` values, as the extension builds it, and returns the error.
   */
  async function listOnDatadogThrough(settings: Record<string, unknown>): Promise<string> {
    const proxySettings = vscodeProxySettings({}, <T>(name: string) => settings[name] as T | undefined);
    const dispatcher = createDispatcher({ proxy: proxySettings });
    const client = new DatastoreClient(resolveEndpoint(TEST_SITE), TEST_KEYS, { dispatcher, ownsDispatcher: true, defaultTimeoutMs: 10_000 });
    try {
      await client.listDatastores();
      return '';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.close();
    }
  }

  /** Lists datastores on the simulator (a loopback override) with the given `http.*` values. */
  async function listOnSimulatorThrough(settings: Record<string, unknown>): Promise<number> {
    const proxySettings = vscodeProxySettings({}, <T>(name: string) => settings[name] as T | undefined);
    const dispatcher = createDispatcher({ proxy: proxySettings });
    const client = new DatastoreClient(resolveEndpoint(TEST_SITE, { value: simulator.url, source: 'test' }), TEST_KEYS, { dispatcher, ownsDispatcher: true });
    try {
      return (await client.listDatastores()).length;
    } finally {
      await client.close();
    }
  }

  const datadogConnect = /CONNECT api\.datadoghq\.eu:443/;
  // Outside the harness's loopback-only network namespace, a request that bypasses the proxy
  // would reach the real Datadog host, so the bypass tests run only where no other interface exists.
  const isolated = Object.keys(os.networkInterfaces()).every((name) => name === 'lo');

  it('sends Datadog requests through http.proxy', async () => {
    const before = logText().length;
    const error = await listOnDatadogThrough({ proxy: `http://127.0.0.1:${port}`, proxySupport: 'override' });
    const log = logText().slice(before);
    assert.match(log, datadogConnect);
    assert.match(log, /refused on filtered domain "api\.datadoghq\.eu"/);
    assert.match(error, /proxy refused to connect to api\.datadoghq\.eu/);
  });

  it('sends the loopback override around http.proxy', async () => {
    const before = logText().length;
    const count = await listOnSimulatorThrough({ proxy: `http://127.0.0.1:${port}`, proxySupport: 'override' });
    assert.ok(count >= 1);
    assert.doesNotMatch(logText().slice(before), /CONNECT/);
  });

  (isolated ? it : it.skip)('bypasses the proxy for http.noProxy', async () => {
    const before = logText().length;
    const error = await listOnDatadogThrough({ proxy: `http://127.0.0.1:${port}`, proxySupport: 'override', noProxy: ['api.datadoghq.eu'] });
    assert.doesNotMatch(logText().slice(before), datadogConnect);
    assert.doesNotMatch(error, /proxy refused/);
  });

  (isolated ? it : it.skip)('uses no proxy when http.proxySupport is off', async () => {
    const before = logText().length;
    const error = await listOnDatadogThrough({ proxy: `http://127.0.0.1:${port}`, proxySupport: 'off' });
    assert.doesNotMatch(logText().slice(before), datadogConnect);
    assert.doesNotMatch(error, /proxy refused/);
  });

  it('reads the system certificate store', () => {
    // The extension host runs Node 24, which has tls.getCACertificates('system').
    const certificates = trustedCaCertificates();
    assert.ok(certificates, `Node ${process.version} in the extension host cannot read the system store`);
    assert.ok(certificates.length > 0);
  });

  it('pushes with the harness settings', async () => {
    // The harness sets http.proxy to a closed port with http.proxySupport off, so a push that
    // succeeds shows that "off" keeps the extension's requests away from that proxy.
    const uri = writeWorkspaceFile('proxy.ddstore.json', { primaryKey: 'id', items: [{ id: 'direct' }] });
    const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, { site: TEST_SITE, datastoreId: DATASTORE_ID, conflictMode: 'overwrite_on_conflict' });
    assert.strictEqual(result.error, undefined);
    assert.strictEqual(result.itemsWritten, 1);
  });
});
