import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const DATASTORE_ID = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

/** Resolves once `check` returns true, checking every 20 ms. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function itemKeys(outcomes: NonNullable<PushCommandResult['result']>['outcomes'], states: string[]): Set<string> {
  const keys = new Set<string>();
  for (const outcome of outcomes.filter((o) => states.includes(o.state))) {
    for (let index = outcome.start; index < outcome.end; index += 1) {
      keys.add(`c${index}`);
    }
  }
  return keys;
}

describe('push cancellation and retry', () => {
  let simulator: Simulator;
  let api: DdstoreApi;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator({ latencyMs: 100 });
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'cancel-tests', primaryColumnName: 'code' });
    await storeTestKeys();
  });

  after(async () => {
    await stopTestSimulator(simulator);
  });

  it('cancels a running push from the Writes view command', async () => {
    const items = Array.from({ length: 4000 }, (_, index) => ({ code: `c${index}`, index }));
    const uri = writeWorkspaceFile('cancel.ddstore.json', { primaryKey: 'code', items });
    const bulk = (): number => simulator.requestLog.filter((entry) => entry.method === 'POST').length;
    const before = bulk();

    const pushing = vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: DATASTORE_ID,
      conflictMode: 'fail_on_conflict',
    });
    await until(() => bulk() - before >= 10, 'ten bulk writes');
    const running = (await api.listPushes()).find((push) => push.status === 'running' && push.file.endsWith('cancel.ddstore.json'));
    assert.ok(running, 'the push is not listed as running');
    const cancelled = await vscode.commands.executeCommand<boolean>('ddstore.writes.cancel', running.id);
    assert.strictEqual(cancelled, true);
    const result = await pushing;

    assert.strictEqual(result.result?.stopped?.code, 'cancelled');
    assert.ok(result.itemsWritten > 0, 'no item was written before the cancel');
    assert.ok(result.itemsWritten < items.length, `all ${result.itemsWritten} items were written despite the cancel`);
    const outcomes = result.result!.outcomes;
    const stored = new Set(simulator.store.listItems(DATASTORE_ID).map((item) => String(item.code)));
    for (const key of itemKeys(outcomes, ['written'])) {
      assert.ok(stored.has(key), `item ${key} is shown as written but is not stored`);
    }
    const mayBeStored = itemKeys(outcomes, ['written', 'unknown']);
    for (const key of stored) {
      assert.ok(mayBeStored.has(key), `item ${key} is stored but shown as not sent or failed`);
    }
    const listed = (await api.listPushes()).find((push) => push.id === running.id);
    assert.strictEqual(listed?.status, 'incomplete');
    assert.strictEqual(listed?.itemsWritten, result.itemsWritten);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>('ddstore.writes.cancel', running.id), false);
  });

  it('retries only failed requests from the Writes view', async () => {
    const items = Array.from({ length: 300 }, (_, index) => ({ code: `r${index}`, index }));
    const uri = writeWorkspaceFile('retry.ddstore.json', { primaryKey: 'code', items });
    simulator.faults.enqueue({ kind: 'html', status: 400 }, { match: { method: 'POST' } });
    const first = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: DATASTORE_ID,
      conflictMode: 'fail_on_conflict',
    });
    assert.strictEqual(first.itemsWritten, 200);
    const listed = (await api.listPushes()).find((push) => push.id === first.pushId);
    assert.strictEqual(listed?.status, 'incomplete');

    const before = simulator.requestLog.filter((entry) => entry.method === 'POST').length;
    const retried = await vscode.commands.executeCommand<PushCommandResult>('ddstore.writes.retryFailed', first.pushId);
    const sent = simulator.requestLog.filter((entry) => entry.method === 'POST').length - before;
    assert.strictEqual(sent, 1);
    assert.strictEqual(retried.itemsWritten, 300);
    const after = (await api.listPushes()).find((push) => push.id === first.pushId);
    assert.strictEqual(after?.status, 'complete');
    const stored = new Set(simulator.store.listItems(DATASTORE_ID).map((item) => String(item.code)));
    for (const item of items) {
      assert.ok(stored.has(item.code), `item ${item.code} is not stored`);
    }
  });
});
