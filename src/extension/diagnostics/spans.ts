import * as vscode from 'vscode';
import type { TextSpan } from '../../core/format/model';

export function spanToRange(document: vscode.TextDocument, span: TextSpan): vscode.Range {
  return new vscode.Range(document.positionAt(span.offset), document.positionAt(span.offset + span.length));
}

export function isDdstoreDocument(document: vscode.TextDocument): boolean {
  return document.uri.path.endsWith('.ddstore.json');
}
