import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Simulator, SimulatorOptions } from '../../../src/simulator';
import { startSimulator } from '../../../src/simulator';
import type { DdstoreApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'ddstore.ddstore';
/** Obviously fake keys: the simulator accepts exactly this pair. */
export const TEST_KEYS = { apiKey: 'fake-api-key-for-tests-0000000001', appKey: 'fake-app-key-for-tests-00000000000000002' };
export const TEST_SITE = 'datadoghq.eu';

export async function activateExtension(): Promise<DdstoreApi> {
  const extension = vscode.extensions.getExtension<DdstoreApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed`);
  return extension.activate();
}

export function workspaceFolder(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri;
}

/** Writes a file into the test workspace and returns its URI. */
export function writeWorkspaceFile(name: string, content: unknown): vscode.Uri {
  const uri = vscode.Uri.joinPath(workspaceFolder(), name);
  fs.mkdirSync(path.dirname(uri.fsPath), { recursive: true });
  fs.writeFileSync(uri.fsPath, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  return uri;
}

/** Starts a simulator that accepts the test keys and points the user-level override at it. */
export async function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = await startSimulator({ credentials: [{ ...TEST_KEYS }], ...options });
  await vscode.workspace.getConfiguration('ddstore').update('apiUrlOverride', simulator.url, vscode.ConfigurationTarget.Global);
  return simulator;
}

export async function stopTestSimulator(simulator: Simulator | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('ddstore').update('apiUrlOverride', undefined, vscode.ConfigurationTarget.Global);
  await simulator?.close();
}

export async function storeTestKeys(site = TEST_SITE): Promise<void> {
  const stored = await vscode.commands.executeCommand<boolean>('ddstore.setKeys', { site, ...TEST_KEYS });
  assert.strictEqual(stored, true, 'ddstore.setKeys did not store the keys');
}

/** Resolves with the diagnostics of a URI once `accept` returns true for them. */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (diagnostics: readonly vscode.Diagnostic[]) => boolean,
  timeoutMs = 20_000,
): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (accept(diagnostics)) {
        subscription.dispose();
        clearTimeout(timer);
        resolve(diagnostics);
        return true;
      }
      return false;
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString())) {
        check();
      }
    });
    const timer = setTimeout(() => {
      subscription.dispose();
      const current = vscode.languages.getDiagnostics(uri).map((d) => `${d.source}/${String(d.code)}: ${d.message}`);
      reject(new Error(`diagnostics of ${uri.fsPath} did not match within ${timeoutMs} ms; current: ${JSON.stringify(current)}`));
    }, timeoutMs);
    check();
  });
}

export function ddstoreDiagnostics(diagnostics: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.source === 'ddstore');
}
