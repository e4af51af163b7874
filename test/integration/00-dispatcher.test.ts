// The leading 00 makes the test entry load this file first (it sorts file names), so no other
// test has loaded undici yet when it runs.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const DATASTORE_ID = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const SLOTS = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];

describe('global fetch dispatcher', () => {
  let simulator: Simulator;

  before(async () => {
    await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'dispatcher', primaryColumnName: 'code' });
  });

  after(async () => {
    await stopTestSimulator(simulator);
  });

  it('stays as it was when a push loads undici', async () => {
    const globals = globalThis as Record<symbol, unknown>;
    const original = SLOTS.map((slot) => globals[slot]);
    // VS Code's proxy support may already have set a dispatcher, and undici only installs its
    // own when none is set. Clearing the slots makes this the state of a host without one.
    for (const slot of SLOTS) {
      if (Object.getOwnPropertyDescriptor(globals, slot)?.writable !== false) {
        globals[slot] = undefined;
      }
    }
    try {
      await storeTestKeys();
      const uri = writeWorkspaceFile('dispatcher.ddstore.json', { primaryKey: 'code', items: [{ code: 'X1', name: 'one' }] });
      const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
        site: TEST_SITE,
        datastoreId: DATASTORE_ID,
        conflictMode: 'overwrite_on_conflict',
      });
      assert.strictEqual(result.itemsWritten, 1, `push failed: ${result.error ?? ''}`);
      assert.deepStrictEqual(
        SLOTS.map((slot) => globals[slot]),
        [undefined, undefined],
        'loading undici installed a process-wide dispatcher',
      );
    } finally {
      SLOTS.forEach((slot, index) => {
        if (Object.getOwnPropertyDescriptor(globals, slot)?.writable !== false) {
          globals[slot] = original[index];
        }
      });
    }
  });
});
