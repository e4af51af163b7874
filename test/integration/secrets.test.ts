import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { SecretBackend } from '../../src/extension/secrets/profileStore';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_KEYS, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const DATASTORE_ID = '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c';
const WRONG_KEYS = { apiKey: 'fake-api-key-wrong-pair-00000000005', appKey: 'fake-app-key-wrong-pair-0000000000000000005' };

/** Fails like SecretStorage on Linux without a Secret Service. */
const failingSecrets: SecretBackend = {
  get: () => Promise.reject(new Error('Cannot create an item in a locked collection')),
  store: () => Promise.reject(new Error('Cannot create an item in a locked collection')),
  delete: () => Promise.reject(new Error('Cannot create an item in a locked collection')),
};

function push(uri: vscode.Uri): Thenable<PushCommandResult> {
  return vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, { site: TEST_SITE, datastoreId: DATASTORE_ID, conflictMode: 'overwrite_on_conflict' });
}

function filesUnder(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function keysIn(text: string): string[] {
  return [TEST_KEYS.apiKey, TEST_KEYS.appKey, WRONG_KEYS.apiKey, WRONG_KEYS.appKey].filter((key) => text.includes(key)).map((key) => `${key.slice(0, 12)}…`);
}

/** Resolves with the extension's log files once one of them contains `marker`. */
async function waitForLog(folder: string, marker: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const files = filesUnder(folder).filter((file) => file.endsWith('.log'));
      if (files.some((file) => fs.readFileSync(file, 'utf8').includes(marker))) {
        watcher.close();
        resolve(files);
      } else if (Date.now() > deadline) {
        watcher.close();
        reject(new Error(`no log file under ${folder} contains "${marker}" after ${timeoutMs} ms`));
      }
    };
    // The log writer appends asynchronously; every change under the folder triggers a check.
    const watcher = fs.watch(folder, { recursive: true }, check);
    const timer = setInterval(check, 250);
    watcher.on('close', () => clearInterval(timer));
    check();
  });
}

describe('keys without an OS keyring', () => {
  let api: DdstoreApi;
  let simulator: Simulator;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'secrets', primaryColumnName: 'id' });
  });

  after(async () => {
    api.testing?.replaceSecretStorage(undefined);
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
  });

  it('reports a failing SecretStorage', async () => {
    api.testing?.replaceSecretStorage(failingSecrets);
    const stored = await vscode.commands.executeCommand<boolean>('ddstore.setKeys', { site: TEST_SITE, ...TEST_KEYS });
    assert.strictEqual(stored, false);
    const added = await vscode.commands.executeCommand<{ error?: string }>('ddstore.addProfile', { name: 'work', site: TEST_SITE, ...TEST_KEYS });
    assert.strictEqual(added?.error, 'storage-failed');
  });

  it('pushes with session-only keys', async () => {
    api.testing?.replaceSecretStorage(failingSecrets);
    const stored = await vscode.commands.executeCommand<boolean>('ddstore.setKeys', { site: TEST_SITE, ...TEST_KEYS, sessionOnly: true });
    assert.strictEqual(stored, true);
    const uri = writeWorkspaceFile('secrets.ddstore.json', { primaryKey: 'id', items: [{ id: 'memory' }] });

    const result = await push(uri);

    assert.strictEqual(result.error, undefined);
    assert.strictEqual(result.itemsWritten, 1);
  });

  it('keeps session-only keys out of SecretStorage', async () => {
    api.testing?.replaceSecretStorage(undefined);
    const recorded: string[] = [];
    api.testing?.replaceSecretStorage({
      get: async (key) => {
        recorded.push(`get ${key}`);
        return undefined;
      },
      store: async (key) => {
        recorded.push(`store ${key}`);
      },
      delete: async (key) => {
        recorded.push(`delete ${key}`);
      },
    });
    await vscode.commands.executeCommand('ddstore.setKeys', { site: TEST_SITE, ...TEST_KEYS, sessionOnly: true });
    assert.deepStrictEqual(recorded.filter((line) => line.startsWith('store')), []);
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    api.testing?.replaceSecretStorage(undefined);
  });
});

describe('keys in the log and the journal', () => {
  let api: DdstoreApi;
  let simulator: Simulator;
  let echo: http.Server;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'secrets', primaryColumnName: 'id' });
    // Responds to every request with 500 and a body that copies the request headers, keys included.
    echo = http.createServer((request, response) => {
      request.resume();
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ status: '500', title: JSON.stringify(request.headers) }] }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
    await new Promise((resolve) => echo.close(resolve));
  });

  async function useOverride(url: string): Promise<void> {
    await vscode.workspace.getConfiguration('ddstore').update('apiUrlOverride', url, vscode.ConfigurationTarget.Global);
  }

  it('writes no key on any error path', async () => {
    const hooks = api.testing;
    assert.ok(hooks, 'the test hooks are missing');
    const uri = writeWorkspaceFile('secrets-errors.ddstore.json', { primaryKey: 'id', items: Array.from({ length: 120 }, (_, i) => ({ id: `e${i}` })) });
    const results: PushCommandResult[] = [];

    // 403: keys the simulator does not know.
    await vscode.commands.executeCommand('ddstore.setKeys', { site: TEST_SITE, ...WRONG_KEYS });
    results.push(await push(uri));
    await storeTestKeys();
    // HTML error page and a redirect on the bulk writes; pre-commit faults leave the store unchanged.
    simulator.faults.enqueue({ kind: 'html', status: 502 }, { count: 20, match: { method: 'POST' } });
    results.push(await push(uri));
    simulator.faults.enqueue({ kind: 'redirect', location: 'http://127.0.0.1:9/' }, { count: 20, match: { method: 'POST' } });
    results.push(await push(uri));
    // 500 with the request headers in the body.
    await useOverride(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`);
    results.push(await push(uri));
    // Network error: nothing listens on port 9.
    await useOverride('http://127.0.0.1:9');
    results.push(await push(uri));
    await useOverride(simulator.url);
    // Invalid target.
    results.push(await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, { site: 'evil.example.com', datastoreId: DATASTORE_ID, conflictMode: 'overwrite_on_conflict' }));
    results.push(await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, { site: TEST_SITE, datastoreId: 'not-a-uuid', conflictMode: 'overwrite_on_conflict' }));

    assert.ok(results.every((result) => result.itemsWritten < 120), `a push succeeded: ${JSON.stringify(results.map((r) => r.itemsWritten))}`);
    assert.deepStrictEqual(keysIn(JSON.stringify(results)), [], 'a command result contains a key');

    // The last error path logs the invalid datastore id, so once it is in a file the log is complete.
    const logFolder = path.dirname(hooks.logFolder);
    const logFiles = await waitForLog(logFolder, 'not-a-uuid');
    const logText = logFiles.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    assert.ok(logText.includes('[push]'), `no ddstore log line in ${logFiles.join(', ')}`);
    assert.deepStrictEqual(keysIn(logText), [], 'the log contains a key');

    const journalFiles = filesUnder(hooks.journalFolder);
    assert.ok(journalFiles.length > 0, 'the journal is empty');
    const journalText = journalFiles.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    assert.ok(journalText.includes('127.0.0.1:9') || journalText.includes('HTML'), 'the journal has none of the errors');
    assert.deepStrictEqual(keysIn(journalText), [], 'the journal contains a key');
  });
});
