import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import { closeAllEditors, openAndValidate } from './support/editorSupport';
import {
  activateExtension,
  ddstoreDiagnostics,
  startTestSimulator,
  stopTestSimulator,
  storeTestKeys,
  TEST_SITE,
  writeWorkspaceFile,
} from './support/testEnvironment';

const DATASTORE_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/** Reads a file of the hostile corpus; the integration bundle lives in out/test/integration. */
function hostile(name: string): string {
  return fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/hostile', `${name}.ddstore.json`), 'utf8');
}

describe('validation of hostile files', () => {
  let simulator: Simulator;

  before(async () => {
    await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'hostile', primaryColumnName: 'id' });
    await storeTestKeys();
  });

  after(async () => {
    await closeAllEditors();
    await stopTestSimulator(simulator);
  });

  it('rejects 10,000 levels of nesting', async () => {
    const { diagnostics } = await openAndValidate('h-deep.ddstore.json', hostile('deep-nesting'), (list) => list.some((d) => d.code === 'item-too-deep'));
    assert.deepStrictEqual(diagnostics.map((d) => d.code).sort(), ['item-too-deep', 'primary-key-unknown']);
  });

  it('reports unclosed deep nesting', async () => {
    const { diagnostics } = await openAndValidate('h-deep-invalid.ddstore.json', hostile('deep-nesting-invalid'), (list) => list.length > 0);
    assert.deepStrictEqual(diagnostics.map((d) => d.code), ['invalid-json']);
    assert.match(diagnostics[0].message, /^Invalid JSON: /);
  });

  it('keeps __proto__ as data', async () => {
    const { diagnostics } = await openAndValidate('h-proto.ddstore.json', hostile('proto-keys'), (list) => list.some((d) => d.code === 'missing-primary-key'));
    assert.deepStrictEqual(diagnostics.map((d) => d.code).sort(), ['missing-primary-key', 'schema']);
    assert.match(diagnostics.find((d) => d.code === 'schema')!.message, /Property "__proto__" is not allowed in the file/);
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  it('gives readable errors for binary garbage', async () => {
    // VS Code refuses to open a binary file as text, so the workspace validation reads it from disk.
    const uri = writeWorkspaceFile('h-binary.ddstore.json', hostile('binary-garbage'));
    const result = await vscode.commands.executeCommand<{ cancelled: boolean }>('ddstore.validateWorkspace');
    assert.strictEqual(result.cancelled, false);
    const diagnostics = ddstoreDiagnostics(vscode.languages.getDiagnostics(uri));
    assert.ok(diagnostics.length > 0, 'no diagnostics');
    assert.ok(diagnostics.length <= 51, `${diagnostics.length} diagnostics`);
    assert.ok(diagnostics.every((d) => d.code === 'invalid-json'), JSON.stringify(diagnostics.map((d) => d.code)));
    assert.match(diagnostics[0].message, /^Invalid JSON: /);
  });

  it('reads a file with a byte-order mark', async () => {
    // VS Code drops the BOM when it opens the file, so only the missing item key remains to report.
    const { diagnostics } = await openAndValidate(
      'h-bom.ddstore.json',
      hostile('bom').replace('{"id": "a"}', '{"name": "a"}'),
      (list) => list.length > 0,
    );
    assert.ok(!diagnostics.some((d) => d.code === 'invalid-json'), JSON.stringify(diagnostics.map((d) => d.message)));
    assert.deepStrictEqual(
      diagnostics.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => d.code),
      ['missing-primary-key'],
    );
  });

  it('sends nothing for invalid files', async () => {
    const invalid = (await openAndValidate('h-push-invalid.ddstore.json', hostile('invalid-json'), (list) => list.length > 0)).uri;
    const proto = (await openAndValidate('h-push-proto.ddstore.json', hostile('proto-keys'), (list) => list.length > 0)).uri;
    const before = simulator.requestLog.length;
    for (const uri of [invalid, proto]) {
      const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
        site: TEST_SITE,
        datastoreId: DATASTORE_ID,
        conflictMode: 'fail_on_conflict',
      });
      assert.strictEqual(result.itemsWritten, 0, path.basename(uri.fsPath));
      assert.ok(result.error, `the push of ${path.basename(uri.fsPath)} reported no error`);
    }
    assert.deepStrictEqual(simulator.requestLog.slice(before), [], 'a request reached the simulator');
    assert.deepStrictEqual(simulator.store.listItems(DATASTORE_ID), []);
  });
});
