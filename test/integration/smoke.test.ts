import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ddstore.ddstore';

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

describe('smoke', () => {
  it('runs in a VS Code extension host', () => {
    assert.ok(vscode.version, 'vscode.version is empty');
    console.log(`vscode ${vscode.version}, appName ${vscode.env.appName}, node ${process.version}`);
  });

  it('sees the environment of the test run', () => {
    assert.strictEqual(process.env.DDSTORE_TEST, '1');
  });

  it('opens a writable workspace copy', () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    assert.ok(fs.existsSync(path.join(folder.uri.fsPath, 'smoke.ddstore.json')), 'smoke.ddstore.json missing');
    if (process.env.DDSTORE_TEST_WORKSPACE) {
      assert.strictEqual(folder.uri.fsPath, process.env.DDSTORE_TEST_WORKSPACE);
    }
    const probe = path.join(folder.uri.fsPath, `write-probe-${process.pid}.txt`);
    fs.writeFileSync(probe, 'probe');
    fs.unlinkSync(probe);
  });

  it('activates the extension on a .ddstore.json', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not installed in the extension host`);

    const folder = vscode.workspace.workspaceFolders![0];
    const uri = vscode.Uri.joinPath(folder.uri, 'smoke.ddstore.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    assert.strictEqual(document.languageId, 'json');

    const active = await waitFor(() => extension.isActive, 30_000);
    assert.ok(active, `extension ${EXTENSION_ID} did not activate within 30 s of opening ${uri.fsPath}`);
  });
});
