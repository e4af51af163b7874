import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { Simulator } from '../../src/simulator';
import {
  activateExtension,
  ddstoreDiagnostics,
  startTestSimulator,
  stopTestSimulator,
  storeTestKeys,
  TEST_KEYS,
  TEST_SITE,
  waitForDiagnostics,
  workspaceFolder,
  writeWorkspaceFile,
} from './support/testEnvironment';

const COUNTRIES_ID = '3f4a2b1c-0d9e-4f8a-9b7c-6d5e4f3a2b1c';
const CONFLICT_ID = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';

function loadCountries(): { items: Array<Record<string, unknown>> } {
  // The integration bundle lives in out/test/integration; the example is at the repository root.
  const file = path.resolve(__dirname, '../../../examples/countries.ddstore.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { items: Array<Record<string, unknown>> };
}

describe('push to a datastore', () => {
  let simulator: Simulator;
  let api: DdstoreApi;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: COUNTRIES_ID, name: 'countries', primaryColumnName: 'code' });
    simulator.store.createDatastore({ id: CONFLICT_ID, name: 'conflicts', primaryColumnName: 'code' });
    await storeTestKeys();
  });

  after(async () => {
    await stopTestSimulator(simulator);
  });

  it('pushes the countries example in requests of 100', async () => {
    const countries = loadCountries();
    const uri = writeWorkspaceFile('countries.ddstore.json', { primaryKey: 'code', items: countries.items });
    await storeTestKeys();
    const before = simulator.requestLog.length;

    const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: COUNTRIES_ID,
      conflictMode: 'fail_on_conflict',
    });

    assert.strictEqual(result.error, undefined);
    assert.strictEqual(result.itemCount, countries.items.length);
    assert.strictEqual(result.itemsWritten, countries.items.length);
    const writes = simulator.requestLog.slice(before).filter((entry) => entry.method === 'POST' && entry.path.endsWith('/items/bulk'));
    assert.strictEqual(writes.length, Math.ceil(countries.items.length / 100));
    for (const write of writes) {
      assert.ok((write.itemCount ?? 0) <= 100, `a request carried ${write.itemCount} items`);
    }
    const stored = simulator.store.listItems(COUNTRIES_ID);
    const storedCodes = new Set(stored.map((item) => item.code));
    for (const item of countries.items) {
      assert.ok(storedCodes.has(item.code), `country ${String(item.code)} was not stored`);
    }
  });

  it('lists the push in the Writes view', async () => {
    const pushes = await api.listPushes();
    const countries = pushes.find((push) => push.file.endsWith('countries.ddstore.json'));
    assert.ok(countries, `no push of countries.ddstore.json in ${JSON.stringify(pushes)}`);
    assert.strictEqual(countries.status, 'complete');
    assert.strictEqual(countries.itemsWritten, countries.itemCount);
    assert.strictEqual(countries.requests, Math.ceil(countries.itemCount / 100));
  });

  it('puts a rejected item on its own line', async () => {
    simulator.store.getDatastore(CONFLICT_ID)!.putItem('B', { code: 'B', name: 'stored earlier' });
    const text = [
      '{',
      '  "primaryKey": "code",',
      '  "items": [',
      '    { "code": "A", "name": "first" },',
      '    { "code": "B", "name": "changed" },',
      '    { "code": "C", "name": "third" }',
      '  ]',
      '}',
      '',
    ].join('\n');
    const uri = writeWorkspaceFile('conflict.ddstore.json', text);
    await vscode.window.showTextDocument(uri);

    const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: CONFLICT_ID,
      conflictMode: 'fail_on_conflict',
    });
    assert.strictEqual(result.itemsWritten, 0);

    const diagnostics = await waitForDiagnostics(uri, (list) => ddstoreDiagnostics(list).some((d) => d.code === 'conflict'));
    const conflict = ddstoreDiagnostics(diagnostics).find((d) => d.code === 'conflict')!;
    assert.strictEqual(conflict.range.start.line, 4, `the conflict is on line ${conflict.range.start.line + 1}, not on item "B"`);
    assert.match(conflict.message, /already exists with different values/);
    assert.match(conflict.message, /"B"/);
    assert.strictEqual(conflict.severity, vscode.DiagnosticSeverity.Error);

    // Editing the rejected item clears its diagnostic.
    const editor = await vscode.window.showTextDocument(uri);
    await editor.edit((edit) => edit.replace(new vscode.Range(4, 28, 4, 35), 'renamed'));
    await waitForDiagnostics(uri, (list) => !ddstoreDiagnostics(list).some((d) => d.code === 'conflict'));
  });

  it('reads keys from SecretStorage only', async () => {
    const uri = writeWorkspaceFile('keys.ddstore.json', { primaryKey: 'code', items: [{ code: 'K1' }] });
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    const without = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: COUNTRIES_ID,
      conflictMode: 'overwrite_on_conflict',
    });
    assert.strictEqual(without.itemsWritten, 0);
    assert.match(without.error ?? '', /No keys are stored for datadoghq\.eu/);

    await storeTestKeys();
    const withKeys = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: COUNTRIES_ID,
      conflictMode: 'overwrite_on_conflict',
    });
    assert.strictEqual(withKeys.itemsWritten, 1, withKeys.error);

    const settings = JSON.stringify(vscode.workspace.getConfiguration('ddstore'));
    assert.ok(!settings.includes(TEST_KEYS.apiKey), 'the API key reached the settings');
    const workspaceFiles = fs.readdirSync(workspaceFolder().fsPath).map((name) => path.join(workspaceFolder().fsPath, name));
    for (const file of workspaceFiles.filter((name) => fs.statSync(name).isFile())) {
      assert.ok(!fs.readFileSync(file, 'utf8').includes(TEST_KEYS.apiKey), `the API key reached ${file}`);
    }
  });

  it('offers schema completion for site values', async () => {
    const uri = writeWorkspaceFile('completion.ddstore.json', '{\n  "datastore": { "site": "" },\n  "items": []\n}\n');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const position = new vscode.Position(1, 25);
    let labels: string[] = [];
    // The JSON language server loads the schema asynchronously after the file opens.
    for (let attempt = 0; attempt < 40 && !labels.some((label) => label.includes('datadoghq.eu')); attempt += 1) {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
      labels = list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
      if (!labels.some((label) => label.includes('datadoghq.eu'))) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    assert.ok(labels.some((label) => label.includes('datadoghq.eu')), `no site completion; got ${JSON.stringify(labels)}`);
    assert.ok(labels.some((label) => label.includes('us5.datadoghq.com')));
  });
});
