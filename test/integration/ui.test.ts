// Buttons that only a user can press, pressed through the harness's UI driver in the phase
// `ui-untrusted` (`run-tests.sh --phases ui`). The workspace is open in Restricted Mode, so every
// push shows the real modal confirmation of src/extension/trust/untrustedPush.ts.
//
// The suite registers only when DDSTORE_TEST_PHASE is ui-untrusted, so the main suite does not see it.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';
import { clickButton, waitForDialog, waitForHidden } from './support/uiDriver';

const DATASTORE_ID = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';

function push(uri: vscode.Uri): Thenable<PushCommandResult> {
  return vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
    site: TEST_SITE,
    datastoreId: DATASTORE_ID,
    conflictMode: 'fail_on_conflict',
  });
}

if (process.env.DDSTORE_TEST_PHASE === 'ui-untrusted') {
  describe('phase ui-untrusted: buttons in Restricted Mode', () => {
    let simulator: Simulator;

    before(async () => {
      await activateExtension();
      simulator = await startTestSimulator();
      simulator.store.createDatastore({ id: DATASTORE_ID, name: 'ui-tests', primaryColumnName: 'code' });
      await storeTestKeys();
    });

    after(async () => {
      await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
      await stopTestSimulator(simulator);
    });

    it('opens the folder untrusted', () => {
      assert.strictEqual(vscode.workspace.isTrusted, false);
    });

    it('sends nothing after Cancel', async () => {
      const uri = writeWorkspaceFile('ui-cancel.ddstore.json', { primaryKey: 'code', items: [{ code: 'a' }, { code: 'b' }] });
      const before = simulator.requestLog.length;

      const pushing = push(uri);
      const dialog = await waitForDialog();

      assert.ok(dialog.message.includes(TEST_SITE), `the site is missing from: ${dialog.message}`);
      assert.ok(dialog.message.includes(simulator.url), `the API host is missing from: ${dialog.message}`);
      assert.ok(dialog.detail.includes(DATASTORE_ID), `the datastore is missing from: ${dialog.detail}`);
      assert.ok(dialog.detail.includes('ui-cancel.ddstore.json'), `the file is missing from: ${dialog.detail}`);
      assert.deepStrictEqual([...dialog.buttons].sort(), ['Cancel', 'Push']);
      await clickButton('Cancel', 'dialog');
      const result = await pushing;
      assert.strictEqual(result.itemsWritten, 0);
      assert.strictEqual(result.error, 'not confirmed in an untrusted workspace');
      assert.strictEqual(simulator.requestLog.length, before, 'a request reached the simulator after Cancel');
      await waitForHidden('dialog');
    });

    it('pushes after the Push button', async () => {
      const items = Array.from({ length: 150 }, (_, index) => ({ code: `p${index}`, index }));
      const uri = writeWorkspaceFile('ui-push.ddstore.json', { primaryKey: 'code', items });

      const pushing = push(uri);
      await waitForDialog();
      await clickButton('Push', 'dialog');
      const result = await pushing;

      assert.strictEqual(result.error, undefined);
      assert.strictEqual(result.itemsWritten, items.length);
      const stored = new Set(simulator.store.listItems(DATASTORE_ID).map((item) => String(item.code)));
      for (const item of items) {
        assert.ok(stored.has(item.code), `item ${item.code} is not stored`);
      }
    });
  });
}
