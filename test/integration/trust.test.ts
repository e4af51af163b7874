import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_KEYS, TEST_SITE, workspaceFolder, writeWorkspaceFile } from './support/testEnvironment';

const DATASTORE_ID = '4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e';

/** Resolves once `check` returns true, re-checking on every configuration change. */
function waitForConfiguration(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${what} did not happen within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = vscode.workspace.onDidChangeConfiguration(() => {
      if (check()) {
        clearTimeout(timer);
        subscription.dispose();
        resolve();
      }
    });
  });
}

function push(uri: vscode.Uri, args: Record<string, unknown> = { site: TEST_SITE, datastoreId: DATASTORE_ID, conflictMode: 'overwrite_on_conflict' }): Thenable<PushCommandResult> {
  return vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, args);
}

describe('where keys may go', () => {
  let api: DdstoreApi;
  let simulator: Simulator;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'trust', primaryColumnName: 'id' });
    await storeTestKeys();
  });

  after(async () => {
    api.testing?.replaceTrustSeam(undefined);
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
  });

  it('ignores workspace override and proxy settings', async () => {
    const attacker = await startSimulator({ credentials: [{ ...TEST_KEYS }] });
    attacker.store.createDatastore({ id: DATASTORE_ID, name: 'attacker', primaryColumnName: 'id' });
    let proxyConnections = 0;
    const fakeProxy = net.createServer((socket) => {
      proxyConnections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => fakeProxy.listen(0, '127.0.0.1', resolve));
    const settingsFile = path.join(workspaceFolder().fsPath, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({
        'ddstore.apiUrlOverride': attacker.url,
        'http.proxy': `http://127.0.0.1:${(fakeProxy.address() as net.AddressInfo).port}`,
        'http.proxySupport': 'override',
        // A window-scoped value that VS Code does apply, to know when it has read the file.
        'ddstore.validation.delayMs': 301,
      }),
    );
    try {
      await waitForConfiguration(() => vscode.workspace.getConfiguration('ddstore').get('validation.delayMs') === 301, 'reading the workspace settings');
      const uri = writeWorkspaceFile('trust.ddstore.json', { primaryKey: 'id', items: [{ id: 'a' }] });
      const before = simulator.requestLog.length;

      const result = await push(uri);

      assert.strictEqual(result.error, undefined);
      assert.strictEqual(result.itemsWritten, 1);
      assert.ok(simulator.requestLog.length > before, 'the user-level simulator got no request');
      assert.strictEqual(attacker.requestLog.length, 0, 'a workspace setting redirected the push');
      assert.strictEqual(proxyConnections, 0, 'a workspace http.proxy received a connection');
    } finally {
      fs.rmSync(settingsFile, { force: true });
      await waitForConfiguration(() => vscode.workspace.getConfiguration('ddstore').get('validation.delayMs') !== 301, 'dropping the workspace settings');
      await attacker.close();
      await new Promise((resolve) => fakeProxy.close(resolve));
    }
  });

  it('rejects a file site that is not Datadog', async () => {
    const uri = writeWorkspaceFile('evil-site.ddstore.json', { primaryKey: 'id', datastore: { id: DATASTORE_ID, site: 'evil.example.com' }, items: [{ id: 'a' }] });
    const before = simulator.requestLog.length;

    const result = await push(uri, { datastoreId: DATASTORE_ID, conflictMode: 'overwrite_on_conflict' });

    assert.strictEqual(result.itemsWritten, 0);
    assert.ok(result.error, 'the push did not fail');
    assert.strictEqual(simulator.requestLog.length, before, 'a request was sent for a site that is not Datadog');
  });
});

describe('untrusted workspace', () => {
  let api: DdstoreApi;
  let simulator: Simulator;
  const questions: Array<{ message: string; detail: string }> = [];
  let answer: 'push' | 'dismiss' = 'dismiss';

  before(async () => {
    api = await activateExtension();
    assert.ok(api.testing, 'the test hooks are missing; is the extension in test mode?');
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'trust', primaryColumnName: 'id' });
    await storeTestKeys();
  });

  afterEach(() => {
    api.testing?.replaceTrustSeam(undefined);
    questions.length = 0;
  });

  after(async () => {
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
  });

  function untrusted(): void {
    api.testing?.replaceTrustSeam({
      isTrusted: () => false,
      confirm: async (message, detail, button) => {
        questions.push({ message, detail });
        return answer === 'push' ? button : undefined;
      },
    });
  }

  it('sends nothing when the question is dismissed', async () => {
    untrusted();
    answer = 'dismiss';
    const uri = writeWorkspaceFile('untrusted.ddstore.json', { primaryKey: 'id', items: [{ id: 'u' }] });
    const before = simulator.requestLog.length;

    const result = await push(uri);

    assert.strictEqual(result.itemsWritten, 0);
    assert.strictEqual(questions.length, 1, 'no confirmation was asked although the command got every argument');
    assert.strictEqual(simulator.requestLog.length, before, 'a request was sent before the confirmation');
  });

  it('shows the target in the question', async () => {
    untrusted();
    answer = 'dismiss';
    const uri = writeWorkspaceFile('untrusted.ddstore.json', { primaryKey: 'id', items: [{ id: 'u' }] });
    await push(uri);

    const [question] = questions;
    assert.ok(question.message.includes(simulator.url), `the API host is missing from: ${question.message}`);
    assert.ok(question.message.includes(TEST_SITE));
    assert.ok(question.detail.includes(DATASTORE_ID), `the datastore is missing from: ${question.detail}`);
    assert.ok(question.detail.includes('untrusted.ddstore.json'));
  });

  it('pushes after confirmation', async () => {
    untrusted();
    answer = 'push';
    const uri = writeWorkspaceFile('untrusted.ddstore.json', { primaryKey: 'id', items: [{ id: 'u' }] });

    const result = await push(uri);

    assert.strictEqual(questions.length, 1);
    assert.strictEqual(result.error, undefined);
    assert.strictEqual(result.itemsWritten, 1);
  });

  it('asks nothing in a trusted workspace', async () => {
    api.testing?.replaceTrustSeam({
      isTrusted: () => true,
      confirm: async (message, detail) => {
        questions.push({ message, detail });
        return undefined;
      },
    });
    const uri = writeWorkspaceFile('untrusted.ddstore.json', { primaryKey: 'id', items: [{ id: 't' }] });

    const result = await push(uri);

    assert.strictEqual(questions.length, 0);
    assert.strictEqual(result.itemsWritten, 1);
  });

  it('declares limited untrusted support', () => {
    const extension = vscode.extensions.getExtension('ddstore.ddstore');
    const capability = (extension?.packageJSON as { capabilities?: { untrustedWorkspaces?: { supported?: unknown } } }).capabilities?.untrustedWorkspaces;
    assert.strictEqual(capability?.supported, 'limited');
  });
});
