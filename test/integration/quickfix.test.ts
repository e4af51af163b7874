import * as assert from 'assert';
import * as vscode from 'vscode';
import type { Simulator } from '../../src/simulator';
import { closeAllEditors, openAndValidate } from './support/editorSupport';
import { activateExtension, ddstoreDiagnostics, startTestSimulator, stopTestSimulator, waitForDiagnostics } from './support/testEnvironment';

const BIND_ID = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';

/** Returns the quick fixes at a diagnostic, resolved, so lazily computed edits are present. */
async function quickFixesAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider',
    uri,
    range,
    vscode.CodeActionKind.QuickFix.value,
    100,
  );
  return actions.filter((action) => action.kind?.value === vscode.CodeActionKind.QuickFix.value);
}

async function applyFix(uri: vscode.Uri, range: vscode.Range, title: string | RegExp): Promise<void> {
  const actions = await quickFixesAt(uri, range);
  const action = actions.find((candidate) => (typeof title === 'string' ? candidate.title === title : title.test(candidate.title)));
  assert.ok(action, `no quick fix ${String(title)} in ${JSON.stringify(actions.map((a) => a.title))}`);
  assert.ok(action.edit, `the quick fix "${action.title}" has no edit`);
  assert.strictEqual(await vscode.workspace.applyEdit(action.edit), true, `applying "${action.title}" failed`);
}

function hasCode(uri: vscode.Uri, code: string): boolean {
  return ddstoreDiagnostics(vscode.languages.getDiagnostics(uri)).some((d) => d.code === code);
}

describe('quick fixes', () => {
  let simulator: Simulator;

  before(async () => {
    await activateExtension();
    // Files bound to a datastore are looked up; the simulator makes sure nothing leaves the machine.
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: BIND_ID, name: 'bind-target', primaryColumnName: 'id' });
  });

  after(async () => {
    await stopTestSimulator(simulator);
  });

  afterEach(async () => {
    await closeAllEditors();
  });

  it('adds a missing primary key', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    {\n      "name": "no key"\n    },\n    { "name": "inline" }\n  ]\n}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-missing.ddstore.json', text, (list) =>
      list.filter((d) => d.code === 'missing-primary-key').length === 2,
    );
    const [first, second] = diagnostics.filter((d) => d.code === 'missing-primary-key');
    const action = (await quickFixesAt(uri, first.range)).find((candidate) => candidate.title === 'Add the primary key "id"');
    assert.strictEqual(action?.command?.command, 'ddstore.editor.select', 'the fix does not select the placeholder');
    await applyFix(uri, first.range, 'Add the primary key "id"');
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    assert.strictEqual(vscode.window.activeTextEditor?.document.getText(vscode.window.activeTextEditor.selection), 'key-1');
    await waitForDiagnostics(uri, (list) => ddstoreDiagnostics(list).filter((d) => d.code === 'missing-primary-key').length === 1);
    const remaining = ddstoreDiagnostics(vscode.languages.getDiagnostics(uri)).find((d) => d.code === 'missing-primary-key')!;
    assert.strictEqual(remaining.range.start.line, second.range.start.line + 1);
    await applyFix(uri, remaining.range, 'Add the primary key "id"');
    await waitForDiagnostics(uri, (list) => !ddstoreDiagnostics(list).some((d) => d.code === 'missing-primary-key'));
    assert.strictEqual(
      document.getText(),
      '{\n  "primaryKey": "id",\n  "items": [\n    {\n      "id": "key-1",\n      "name": "no key"\n    },\n    { "id": "key-2", "name": "inline" }\n  ]\n}\n',
    );
  });

  it('turns a number key into a string', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": 12345678901234567890 },\n    { "id": true }\n  ]\n}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-number.ddstore.json', text, (list) =>
      list.filter((d) => d.code === 'primary-key-not-string').length === 2,
    );
    const [number] = diagnostics.filter((d) => d.code === 'primary-key-not-string');
    await applyFix(uri, number.range, 'Write the key as the string "12345678901234567890"');
    await waitForDiagnostics(uri, (list) => ddstoreDiagnostics(list).filter((d) => d.code === 'primary-key-not-string').length === 1);
    const boolean = ddstoreDiagnostics(vscode.languages.getDiagnostics(uri)).find((d) => d.code === 'primary-key-not-string')!;
    await applyFix(uri, boolean.range, 'Write the key as the string "true"');
    await waitForDiagnostics(uri, (list) => !ddstoreDiagnostics(list).some((d) => d.code === 'primary-key-not-string'));
    // The digits are kept exactly, not rounded through a JavaScript number.
    assert.strictEqual(document.getText(), '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "12345678901234567890" },\n    { "id": "true" }\n  ]\n}\n');
  });

  it('removes a duplicate item', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a", "n": 1 },\n    { "id": "b" },\n    { "id": "a", "n": 2 }\n  ]\n}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-remove.ddstore.json', text, (list) => list.some((d) => d.code === 'duplicate-key'));
    const last = diagnostics.filter((d) => d.code === 'duplicate-key')[1];
    await applyFix(uri, last.range, 'Remove item 3');
    await waitForDiagnostics(uri, () => !hasCode(uri, 'duplicate-key'));
    assert.strictEqual(document.getText(), '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a", "n": 1 },\n    { "id": "b" }\n  ]\n}\n');
  });

  it('removes the first of two duplicates', async () => {
    const text = '{"primaryKey": "id", "items": [\n  {"id": "a"},\n  {"id": "a"}\n]}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-remove-first.ddstore.json', text, (list) => list.some((d) => d.code === 'duplicate-key'));
    const first = diagnostics.filter((d) => d.code === 'duplicate-key')[0];
    await applyFix(uri, first.range, 'Remove item 1');
    await waitForDiagnostics(uri, () => !hasCode(uri, 'duplicate-key'));
    assert.strictEqual(document.getText(), '{"primaryKey": "id", "items": [\n  {"id": "a"}\n]}\n');
  });

  it('renames a duplicate key', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a" },\n    { "id": "a-2" },\n    { "id": "a" }\n  ]\n}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-rename.ddstore.json', text, (list) => list.some((d) => d.code === 'duplicate-key'));
    const last = diagnostics.filter((d) => d.code === 'duplicate-key')[1];
    await applyFix(uri, last.range, "Rename this item's key to a unique one");
    await waitForDiagnostics(uri, () => !hasCode(uri, 'duplicate-key'));
    // "a-2" is taken, so the new key is "a-3".
    assert.strictEqual(document.getText(), '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a" },\n    { "id": "a-2" },\n    { "id": "a-3" }\n  ]\n}\n');
  });

  it('sets conflictMode when it is absent', async () => {
    const text = '{\n  "primaryKey": "id",\n  "items": [\n    { "id": "a" }\n  ]\n}\n';
    const { uri, document } = await openAndValidate('q-conflict.ddstore.json', text, () => true);
    await waitForState(uri);
    await applyFix(uri, new vscode.Range(1, 4, 1, 4), 'Set "conflictMode" to "overwrite_on_conflict"');
    assert.strictEqual(
      document.getText(),
      '{\n  "primaryKey": "id",\n  "conflictMode": "overwrite_on_conflict",\n  "items": [\n    { "id": "a" }\n  ]\n}\n',
    );
    // Once set, the fix is no longer offered.
    await waitForActions(uri, new vscode.Range(1, 4, 1, 4), (titles) => !titles.some((title) => title.startsWith('Set "conflictMode"')));
  });

  it('binds the file to a datastore', async () => {
    const text = '{\n  "items": [\n    { "id": "a" }\n  ]\n}\n';
    const { uri, document, diagnostics } = await openAndValidate('q-bind.ddstore.json', text, (list) => list.some((d) => d.code === 'primary-key-unknown'));
    const unknown = diagnostics.find((d) => d.code === 'primary-key-unknown')!;
    const actions = await quickFixesAt(uri, unknown.range);
    const bind = actions.find((action) => action.title === 'Bind this file to a datastore…');
    assert.ok(bind?.command, `no bind action in ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.strictEqual(bind.command.command, 'ddstore.bindDatastore');

    // The action's command with arguments, as the quick pick would fill them in.
    const bound = await vscode.commands.executeCommand<boolean>(bind.command.command, ...(bind.command.arguments ?? []), {
      site: 'datadoghq.eu',
      datastoreId: BIND_ID,
    });
    assert.strictEqual(bound, true);
    assert.deepStrictEqual(JSON.parse(document.getText()), { datastore: { site: 'datadoghq.eu', id: BIND_ID }, items: [{ id: 'a' }] });
    assert.ok(document.getText().startsWith('{\n  "datastore": {\n'), document.getText());
  });
});

/** Waits until live validation has a result for the file, seen through its CodeLens. */
async function waitForState(uri: vscode.Uri): Promise<void> {
  await waitForActions(uri, new vscode.Range(0, 0, 0, 0), (titles) => titles.length > 0);
}

/** Polls the code actions at a range until `accept` holds, waiting on validation events between tries. */
async function waitForActions(uri: vscode.Uri, range: vscode.Range, accept: (titles: string[]) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const titles = (await quickFixesAt(uri, range)).map((action) => action.title);
    if (accept(titles)) {
      return;
    }
    await new Promise<void>((resolve) => {
      const subscription = vscode.languages.onDidChangeDiagnostics(() => {
        subscription.dispose();
        clearTimeout(timer);
        resolve();
      });
      const timer = setTimeout(() => {
        subscription.dispose();
        resolve();
      }, 200);
    });
  }
  assert.fail(`the code actions at ${range.start.line}:${range.start.character} never matched`);
}
