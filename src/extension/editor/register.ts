import * as vscode from 'vscode';
import type { ApiKeys, DatastoreClient } from '../../core/api/datastoreClient';
import type { Logger } from '../../core/log';
import type { LiveValidation } from '../diagnostics/liveValidation';
import type { PrimaryKeyCache } from '../target/primaryKeyCache';
import type { BindArguments } from './bindDatastore';
import { BIND_COMMAND, bindDatastore } from './bindDatastore';
import { DdstoreCodeLens } from './codeLens';
import { DdstoreQuickFixes, SELECT_COMMAND } from './quickFixes';
import type { StatusSnapshot } from './statusBar';
import { DdstoreStatusBar } from './statusBar';
import { VALIDATE_WORKSPACE_COMMAND, validateWorkspace } from './workspaceValidation';

const SELECTOR: vscode.DocumentSelector = [{ pattern: '**/*.ddstore.json' }];

export interface EditorDependencies {
  readonly validation: LiveValidation;
  readonly datastores: PrimaryKeyCache;
  readonly keys: { getOrAsk(site: string): Promise<ApiKeys | undefined> };
  readonly createClient: (site: string, keys: ApiKeys) => DatastoreClient;
  readonly logger: Logger;
}

/** The editor features: CodeLens, status bar item, quick fixes, and their commands. */
export interface EditorFeatures {
  readonly disposables: vscode.Disposable[];
  /** Current snapshot of the status bar item, for tests. */
  statusBar(): StatusSnapshot;
}

export function registerEditorFeatures(deps: EditorDependencies): EditorFeatures {
  const codeLens = new DdstoreCodeLens(deps.validation, deps.datastores);
  const statusBar = new DdstoreStatusBar(deps.validation, deps.datastores);
  const disposables: vscode.Disposable[] = [
    codeLens,
    statusBar,
    vscode.languages.registerCodeLensProvider(SELECTOR, codeLens),
    vscode.languages.registerCodeActionsProvider(SELECTOR, new DdstoreQuickFixes(deps.validation), DdstoreQuickFixes.metadata),
    vscode.commands.registerCommand(BIND_COMMAND, (resource?: vscode.Uri, args?: BindArguments) =>
      bindDatastore(deps, resource, args && !Array.isArray(args) ? args : {}),
    ),
    vscode.commands.registerCommand(SELECT_COMMAND, selectSpan),
    vscode.commands.registerCommand(VALIDATE_WORKSPACE_COMMAND, () => validateWorkspace(deps.validation, deps.logger)),
  ];
  return { disposables, statusBar: () => statusBar.snapshot() };
}

/** Selects `length` characters from `offset` in the visible editor of a file. */
function selectSpan(uri: vscode.Uri, offset: number, length: number): void {
  const editor = vscode.window.visibleTextEditors.find((candidate) => candidate.document.uri.toString() === uri.toString());
  if (!editor) {
    return;
  }
  const start = editor.document.positionAt(offset);
  const end = editor.document.positionAt(offset + length);
  editor.selection = new vscode.Selection(start, end);
  editor.revealRange(new vscode.Range(start, end));
}
