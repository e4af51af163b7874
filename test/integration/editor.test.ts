import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { Simulator } from '../../src/simulator';
import { closeAllEditors, openAndValidate } from './support/editorSupport';
import { activateExtension, startTestSimulator, stopTestSimulator, storeTestKeys, writeWorkspaceFile } from './support/testEnvironment';

const COUNTRIES_ID = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';

/** Resolves once `read` returns a value that `accept` takes, re-reading after each validation. */
async function eventually<T>(read: () => Thenable<T> | T, accept: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    last = await read();
    if (accept(last)) {
      return last;
    }
    await new Promise<void>((resolve) => {
      const subscription = vscode.languages.onDidChangeDiagnostics(() => {
        subscription.dispose();
        clearTimeout(timer);
        resolve();
      });
      // The CodeLens and the status bar also change when a datastore lookup ends, which fires no diagnostics event.
      const timer = setTimeout(() => {
        subscription.dispose();
        resolve();
      }, 100);
    });
  }
  assert.fail(`${what} never matched; last value: ${JSON.stringify(last)}`);
}

function lensTitles(uri: vscode.Uri): Thenable<string[]> {
  return vscode.commands
    .executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)
    .then((lenses) => lenses.filter((lens) => lens.command).map((lens) => lens.command!.title));
}

describe('editor guidance', () => {
  let simulator: Simulator;
  let api: DdstoreApi;

  before(async () => {
    api = await activateExtension();
    simulator = await startTestSimulator();
    simulator.store.createDatastore({ id: COUNTRIES_ID, name: 'countries', primaryColumnName: 'code' });
    await storeTestKeys();
  });

  after(async () => {
    await closeAllEditors();
    await stopTestSimulator(simulator);
  });

  it('offers to choose a datastore', async () => {
    const { uri } = await openAndValidate('e-unbound.ddstore.json', { primaryKey: 'code', items: [{ code: 'FR' }, { code: 7 }] }, (list) => list.length > 0);
    const titles = await eventually(() => lensTitles(uri), (value) => value.length > 0, 'the CodeLens');
    assert.deepStrictEqual(titles, ['$(database) Choose a datastore', '$(error) 1 problem']);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.strictEqual(lenses[0].command?.command, 'ddstore.bindDatastore');
    assert.strictEqual(lenses[0].range.start.line, 0);

    const status = api.testing!.statusBar();
    assert.strictEqual(status.visible, true);
    assert.strictEqual(status.text, '$(database) no datastore · $(error) 1 problem');
    assert.strictEqual(status.command, 'workbench.actions.view.problems');
  });

  it('shows the push target of a bound file', async () => {
    const content = { datastore: { site: 'datadoghq.eu', id: COUNTRIES_ID }, items: [{ code: 'FR' }, { code: 'DE' }, { code: 'JP' }] };
    const { uri } = await openAndValidate('e-bound.ddstore.json', content, () => true);
    // The datastore's name arrives with the lookup of its primary column from the simulator.
    const titles = await eventually(() => lensTitles(uri), (value) => value.some((title) => title.includes('countries')), 'the CodeLens');
    assert.deepStrictEqual(titles, ['$(cloud-upload) Push 3 items to countries on datadoghq.eu']);
    const status = await eventually(() => api.testing!.statusBar(), (value) => value.text.includes('countries'), 'the status bar');
    assert.strictEqual(status.text, '$(database) countries · datadoghq.eu · $(check)');
    assert.strictEqual(status.command, 'ddstore.push');
  });

  it('hides the status bar item for other files', async () => {
    const other = writeWorkspaceFile('e-other.json', { a: 1 });
    await vscode.window.showTextDocument(other);
    await eventually(() => api.testing!.statusBar(), (value) => !value.visible, 'the status bar');
  });

  it('completes an item from the schema snippet', async () => {
    const uri = writeWorkspaceFile('e-snippet.ddstore.json', '{\n  "primaryKey": "id",\n  "items": [\n    \n  ]\n}\n');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const position = new vscode.Position(3, 4);
    // The JSON language server loads the schema asynchronously after the file opens.
    const list = await eventually(
      () => vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position),
      (value) => value.items.some((item) => label(item) === 'New item'),
      'the completion list',
    );
    const item = list.items.find((candidate) => label(candidate) === 'New item')!;
    const insert = item.insertText instanceof vscode.SnippetString ? item.insertText.value : String(item.insertText);
    assert.match(insert, /"id": "\$\{1:unique-key\}"/);
    assert.ok(list.items.some((candidate) => label(candidate) === 'New item (empty)'));
  });
});

function label(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}
