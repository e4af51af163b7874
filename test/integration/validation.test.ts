import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import type { JsonValidateResult } from '../../src/cli/validateCommand';
import type { Simulator } from '../../src/simulator';
import { assertDdstoreDiagnostic, closeAllEditors, diagnosticsWithCode, markedText, openAndValidate } from './support/editorSupport';
import {
  activateExtension,
  ddstoreDiagnostics,
  startTestSimulator,
  stopTestSimulator,
  storeTestKeys,
  waitForDiagnostics,
  writeWorkspaceFile,
} from './support/testEnvironment';

const { Error: ERROR, Warning: WARNING } = vscode.DiagnosticSeverity;
const BOUND_ID = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('validation diagnostics', () => {
  before(async () => {
    await activateExtension();
  });

  afterEach(async () => {
    await closeAllEditors();
  });

  it('marks a missing primary key', async () => {
    const { document, found } = await diagnosticsWithCode(
      'v-missing.ddstore.json',
      { primaryKey: 'id', items: [{ id: 'a' }, { name: 'no key' }] },
      'missing-primary-key',
    );
    assertDdstoreDiagnostic(found[0], ERROR);
    assert.strictEqual(found[0].message, 'Item 2 has no primary key "id". Add "id": "<unique string>" to the item.');
    assert.strictEqual(markedText(document, found[0]), '{');
    assert.strictEqual(found[0].range.start.line, 6);
  });

  it('marks a number key', async () => {
    const { document, found } = await diagnosticsWithCode('v-number.ddstore.json', { primaryKey: 'id', items: [{ id: 42 }] }, 'primary-key-not-string');
    assertDdstoreDiagnostic(found[0], ERROR);
    assert.strictEqual(markedText(document, found[0]), '42');
    assert.match(found[0].message, /Item 1 has the number 42 .* "id": "42"/);
  });

  it('links both items of a duplicate key', async () => {
    const { document, found } = await diagnosticsWithCode(
      'v-duplicate.ddstore.json',
      { primaryKey: 'id', items: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] },
      'duplicate-key',
    );
    assert.strictEqual(found.length, 2);
    for (const diagnostic of found) {
      assertDdstoreDiagnostic(diagnostic, ERROR);
      assert.strictEqual(markedText(document, diagnostic), '"a"');
    }
    const [first, second] = found;
    assert.match(first.message, /^Item 1 has the same primary key "a" as item 3\./);
    assert.strictEqual(first.relatedInformation?.length, 1);
    assert.deepStrictEqual(first.relatedInformation[0].location.range, second.range);
    assert.strictEqual(first.relatedInformation[0].location.uri.toString(), document.uri.toString());
    assert.deepStrictEqual(second.relatedInformation?.[0].location.range, first.range);
    assert.strictEqual(second.relatedInformation[0].message, 'Item 1 has the same key "a".');
  });

  it('marks a field name over 63 characters', async () => {
    const long = 'f'.repeat(64);
    const { document, found } = await diagnosticsWithCode('v-field.ddstore.json', { primaryKey: 'id', items: [{ id: 'a', [long]: 1 }] }, 'field-name-too-long');
    assertDdstoreDiagnostic(found[0], ERROR);
    assert.strictEqual(markedText(document, found[0]), `"${long}"`);
    assert.match(found[0].message, /^Item 1 has a field name of 64 characters/);
  });

  it('marks an item over 100 KB', async () => {
    const { document, found } = await diagnosticsWithCode(
      'v-large.ddstore.json',
      { primaryKey: 'id', items: [{ id: 'small' }, { id: 'big', text: 'x'.repeat(110_000) }] },
      'item-too-large',
    );
    assertDdstoreDiagnostic(found[0], ERROR);
    assert.strictEqual(found[0].range.start.line, 6);
    assert.strictEqual(markedText(document, found[0]), '{');
    assert.match(found[0].message, /^Item 2 is 110,0\d\d bytes as JSON, more than the 102,400 bytes/);
  });

  it('warns about an unsafe integer', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a", "n": 9007199254740993 }\n  ]\n}\n';
    const { document, found } = await diagnosticsWithCode('v-integer.ddstore.json', text, 'unsafe-integer');
    assertDdstoreDiagnostic(found[0], WARNING);
    assert.strictEqual(markedText(document, found[0]), '9007199254740993');
    assert.match(found[0].message, /in item 1 .*Write it as a string: "9007199254740993"/);
  });

  it('warns about a duplicate property', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a", "n": 1, "n": 2 }\n  ]\n}\n';
    const { document, found } = await diagnosticsWithCode('v-property.ddstore.json', text, 'duplicate-property');
    assertDdstoreDiagnostic(found[0], WARNING);
    assert.strictEqual(markedText(document, found[0]), '"n"');
    assert.strictEqual(found[0].range.start.character, text.split('\n')[3].lastIndexOf('"n"'));
    assert.strictEqual(found[0].relatedInformation?.[0].location.range.start.character, text.split('\n')[3].indexOf('"n"'));
  });

  it('marks invalid JSON at the error', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a" }\n    { "id": "b" }\n  ]\n}\n';
    const { found } = await diagnosticsWithCode('v-invalid.ddstore.json', text, 'invalid-json');
    assertDdstoreDiagnostic(found[0], ERROR);
    assert.strictEqual(found[0].range.start.line, 4);
    assert.match(found[0].message, /^Invalid JSON: expected a comma/);
  });

  it('updates diagnostics as the user types', async () => {
    const { uri, document } = await openAndValidate('v-typing.ddstore.json', { primaryKey: 'id', items: [{ id: 7 }] }, (list) =>
      list.some((d) => d.code === 'primary-key-not-string'),
    );
    const editor = await vscode.window.showTextDocument(document);
    const line = document.lineAt(4);
    const start = line.text.indexOf('7');
    await editor.edit((edit) => edit.replace(new vscode.Range(4, start, 4, start + 1), '"seven"'));
    const after = ddstoreDiagnostics(await waitForDiagnostics(uri, (list) => !ddstoreDiagnostics(list).some((d) => d.code === 'primary-key-not-string')));
    assert.deepStrictEqual(after.filter((d) => d.severity === ERROR), []);
  });

  it('matches the CLI output for a fixture', async () => {
    const text = [
      '{',
      '  "primaryKey": "id",',
      '  "items": [',
      '    { "id": "a", "n": 9007199254740993 },',
      '    { "id": 12 },',
      '    { "name": "no key" },',
      '    { "id": "a", "x": 1, "x": 2 },',
      `    { "id": "c", "${'f'.repeat(70)}": true }`,
      '  ]',
      '}',
      '',
    ].join('\n');
    const { uri, diagnostics } = await openAndValidate('v-cli.ddstore.json', text, (list) => list.some((d) => d.code === 'duplicate-key'));
    // The integration bundle lives in out/test/integration; the CLI bundle in dist/.
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    let output: string;
    try {
      output = execFileSync(process.execPath, [cli, 'validate', uri.fsPath, '--json'], { encoding: 'utf8' });
    } catch (error) {
      // Exit status 2 for an invalid file; the JSON is still on stdout.
      output = String((error as { stdout?: string }).stdout ?? '');
    }
    const cliResult = JSON.parse(output) as JsonValidateResult;
    const fromCli = cliResult.diagnostics.map((d) => `${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.severity} ${d.code}: ${d.message}`);
    const severityName = ['error', 'warning', 'information', 'hint'];
    const fromEditor = diagnostics.map(
      (d) =>
        `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ` +
        `${severityName[d.severity]} ${String(d.code)}: ${d.message}`,
    );
    assert.ok(fromCli.length >= 6, `the CLI found only ${JSON.stringify(fromCli)}`);
    assert.deepStrictEqual(fromEditor, fromCli);
  });

  it('validates every file of the workspace', async () => {
    const bad = writeWorkspaceFile('nested/w-bad.ddstore.json', { primaryKey: 'id', items: [{ id: 1 }, { id: 'b' }, { id: 'b' }] });
    const good = writeWorkspaceFile('nested/w-good.ddstore.json', { primaryKey: 'id', items: [{ id: 'a' }] });
    const result = await vscode.commands.executeCommand<{ files: number; errors: number; invalidFiles: number; cancelled: boolean }>(
      'ddstore.validateWorkspace',
    );
    assert.strictEqual(result.cancelled, false);
    assert.ok(result.files >= 2, `only ${result.files} files were validated`);
    assert.ok(result.invalidFiles >= 1);
    const codes = ddstoreDiagnostics(vscode.languages.getDiagnostics(bad)).map((d) => d.code);
    assert.deepStrictEqual(codes, ['primary-key-not-string', 'duplicate-key', 'duplicate-key']);
    assert.deepStrictEqual(ddstoreDiagnostics(vscode.languages.getDiagnostics(good)), []);
    assert.ok(!vscode.workspace.textDocuments.some((document) => document.uri.toString() === bad.toString()), 'the command opened the file');
  });

  it('refuses a file over the size limit', async () => {
    const config = vscode.workspace.getConfiguration('ddstore');
    await config.update('validation.maxFileSizeMB', 1, vscode.ConfigurationTarget.Global);
    try {
      const items = Array.from({ length: 6000 }, (_, index) => ({ id: `key-${index}`, text: 'x'.repeat(200) }));
      const { found } = await diagnosticsWithCode('v-huge.ddstore.json', { primaryKey: 'id', items }, 'file-too-large');
      assertDdstoreDiagnostic(found[0], ERROR);
      assert.match(found[0].message, /more than the 1\.0 MB limit of ddstore\.validation\.maxFileSizeMB/);
    } finally {
      await config.update('validation.maxFileSizeMB', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('validates a large file in the worker', async () => {
    // About 2 MB, above the 1 MB from which the worker thread validates.
    const items: Array<Record<string, unknown>> = Array.from({ length: 10_000 }, (_, index) => ({ id: `key-${index}`, text: 'y'.repeat(180) }));
    items[9_999] = { id: 'key-5', text: 'last' };
    const { document, found } = await diagnosticsWithCode('v-worker.ddstore.json', { primaryKey: 'id', items }, 'duplicate-key');
    assert.strictEqual(found.length, 2);
    assert.strictEqual(markedText(document, found[1]), '"key-5"');
    assert.match(found[1].message, /^Item 10000 has the same primary key "key-5" as item 6\./);
  });
});

describe('validation against the bound datastore', () => {
  let simulator: Simulator;

  before(async () => {
    await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: BOUND_ID, name: 'bound', primaryColumnName: 'sku' });
    await storeTestKeys();
  });

  after(async () => {
    await closeAllEditors();
    await stopTestSimulator(simulator);
  });

  it("checks items against the datastore's primary column", async () => {
    const before = simulator.requestLog.length;
    const content = { datastore: { site: 'datadoghq.eu', id: BOUND_ID }, items: [{ sku: 'a' }, { name: 'no sku' }] };
    const { found } = await diagnosticsWithCode('v-bound.ddstore.json', content, 'missing-primary-key');
    assert.strictEqual(found.length, 1);
    assert.match(found[0].message, /^Item 2 has no primary key "sku"/);

    // A second file bound to the same datastore needs no further request.
    await diagnosticsWithCode('v-bound-2.ddstore.json', { ...content, items: [{ name: 'x' }] }, 'missing-primary-key');
    const reads = simulator.requestLog.slice(before).filter((entry) => entry.method === 'GET' && entry.path.endsWith(BOUND_ID));
    assert.strictEqual(reads.length, 1, `the datastore was read ${reads.length} times`);
  });
});
