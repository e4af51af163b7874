import * as assert from 'assert';
import * as vscode from 'vscode';
import { ddstoreDiagnostics, waitForDiagnostics, writeWorkspaceFile } from './testEnvironment';

/** Writes a file, opens it in an editor and waits until ddstore's diagnostics satisfy `accept`. */
export async function openAndValidate(
  name: string,
  content: unknown,
  accept: (diagnostics: vscode.Diagnostic[]) => boolean,
): Promise<{ uri: vscode.Uri; document: vscode.TextDocument; diagnostics: vscode.Diagnostic[] }> {
  const uri = writeWorkspaceFile(name, content);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  const diagnostics = ddstoreDiagnostics(await waitForDiagnostics(uri, (list) => accept(ddstoreDiagnostics(list))));
  return { uri, document, diagnostics };
}

/** Waits until a ddstore diagnostic with the code exists and returns all of that code. */
export async function diagnosticsWithCode(name: string, content: unknown, code: string): Promise<{ document: vscode.TextDocument; found: vscode.Diagnostic[] }> {
  const { document, diagnostics } = await openAndValidate(name, content, (list) => list.some((d) => d.code === code));
  return { document, found: diagnostics.filter((d) => d.code === code) };
}

/** Returns the text a diagnostic marks. */
export function markedText(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): string {
  return document.getText(diagnostic.range);
}

/** Closes every editor, so a test starts without the files of the one before. */
export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export function assertDdstoreDiagnostic(diagnostic: vscode.Diagnostic | undefined, severity: vscode.DiagnosticSeverity): asserts diagnostic {
  assert.ok(diagnostic, 'the diagnostic is missing');
  assert.strictEqual(diagnostic.source, 'ddstore');
  assert.strictEqual(diagnostic.severity, severity);
}
