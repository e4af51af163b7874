import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const LARGE_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const EDITED_ID = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';
const KEYS_ID = '3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f';

/** Polls a condition until it holds, for states that fire no event. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function push(uri: vscode.Uri, datastoreId: string): Thenable<PushCommandResult> {
  return vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
    site: TEST_SITE,
    datastoreId,
    conflictMode: 'overwrite_on_conflict',
  });
}

describe('push edge cases', () => {
  let simulator: Simulator;
  let api: DdstoreApi;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    for (const [id, name] of [[LARGE_ID, 'large'], [EDITED_ID, 'edited'], [KEYS_ID, 'keys']]) {
      simulator.store.createDatastore({ id, name, primaryColumnName: 'code' });
    }
    await storeTestKeys();
  });

  after(async () => {
    await stopTestSimulator(simulator);
  });

  it('pushes a file over 1 MB', async () => {
    // Files of 1 MB or more are validated in a worker thread by live validation.
    const items = Array.from({ length: 20_000 }, (_, index) => ({ code: `large-${index}`, name: `item number ${index}` }));
    const uri = writeWorkspaceFile('large.ddstore.json', { primaryKey: 'code', items });
    assert.ok(fs.statSync(uri.fsPath).size > 1_000_000);
    await vscode.window.showTextDocument(uri);

    const result = await push(uri, LARGE_ID);

    assert.strictEqual(result.error, undefined);
    assert.strictEqual(result.itemsWritten, items.length);
    assert.strictEqual(simulator.store.listItems(LARGE_ID).length, items.length);
  });

  it('journals the text it pushed', async () => {
    const items = Array.from({ length: 300 }, (_, index) => ({ code: `edited-${index}`, name: 'original' }));
    const original = JSON.stringify({ primaryKey: 'code', items }, null, 2) + '\n';
    const uri = writeWorkspaceFile('edited.ddstore.json', original);
    const editor = await vscode.window.showTextDocument(uri);
    // Hold the datastore lookup, so the edit lands while the push is being prepared.
    simulator.faults.enqueue({ kind: 'delay', ms: 800 }, { match: { method: 'GET', pathIncludes: EDITED_ID } });

    const pushing = push(uri, EDITED_ID);
    await eventually(
      () => simulator.faults.pending.length === 0,
      'the datastore lookup',
    );
    const edited = JSON.stringify({ primaryKey: 'code', items: items.slice(0, 150).map((item) => ({ ...item, name: 'edited' })) }, null, 2);
    await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, editor.document.lineCount, 0), edited));
    const result = await pushing;

    assert.strictEqual(result.itemsWritten, 300, result.error);
    const stored = simulator.store.listItems(EDITED_ID);
    assert.strictEqual(stored.length, 300);
    assert.ok(stored.every((item) => item.name === 'original'), 'an edited item was pushed');
    const journal = fs.readFileSync(path.join(api.testing!.journalFolder, `${result.pushId}.jsonl`), 'utf8');
    const header = JSON.parse(journal.split('\n')[0]) as { header: { fileHash: string } };
    assert.strictEqual(header.header.fileHash, createHash('sha256').update(original).digest('hex'));

    const resumed = await vscode.commands.executeCommand<PushCommandResult>('ddstore.writes.resume', result.pushId);
    assert.strictEqual(resumed.error, 'file changed');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('names an invalid file in the result', async () => {
    const uri = writeWorkspaceFile('invalid.ddstore.json', '{ "primaryKey": "code", "items": [ { "code": 1 } ] }\n');
    const before = simulator.requestLog.length;
    const result = await push(uri, KEYS_ID);
    assert.match(result.error ?? '', /^invalid file: 1 error\(s\); nothing was sent$/);
    assert.strictEqual(simulator.requestLog.length, before, 'a request was sent for an invalid file');
  });

  it('resumes by id without keys as an error', async () => {
    const uri = writeWorkspaceFile('keys.ddstore.json', { primaryKey: 'code', items: [{ code: 'k1' }, { code: 'k2' }] });
    const first = await push(uri, KEYS_ID);
    assert.ok(first.pushId);
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    try {
      const resumed = await vscode.commands.executeCommand<PushCommandResult>('ddstore.writes.retryFailed', first.pushId);
      assert.match(resumed.error ?? '', /No keys are stored for datadoghq\.eu/);
    } finally {
      await storeTestKeys();
    }
  });

  it('ignores a malformed tree node', async () => {
    const result = await vscode.commands.executeCommand('ddstore.writes.resume', { entry: {} });
    assert.strictEqual(result, undefined);
  });
});
