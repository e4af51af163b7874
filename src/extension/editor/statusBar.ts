import * as vscode from 'vscode';
import type { LiveValidation } from '../diagnostics/liveValidation';
import { isDdstoreDocument } from '../diagnostics/spans';
import type { PrimaryKeyCache } from '../target/primaryKeyCache';

/** Snapshot of the status bar item's text and visibility, for tests. */
export interface StatusSnapshot {
  readonly visible: boolean;
  readonly text: string;
  readonly command?: string;
}

/**
 * A status bar item for the active `.ddstore.json` file: its target and whether it is valid,
 * for example `$(database) countries · datadoghq.eu · $(check)`. Clicking it pushes a valid
 * file and opens the Problems view for an invalid one.
 */
export class DdstoreStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ddstore.file', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private visible = false;

  constructor(
    private readonly validation: LiveValidation,
    private readonly datastores: PrimaryKeyCache,
  ) {
    this.item.name = vscode.l10n.t('ddstore file');
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      validation.onDidValidate((uri) => {
        if (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString()) {
          this.update();
        }
      }),
    );
    this.update();
  }

  snapshot(): StatusSnapshot {
    const command = this.item.command;
    return { visible: this.visible, text: this.item.text, command: typeof command === 'string' ? command : command?.command };
  }

  private update(): void {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !isDdstoreDocument(document)) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const state = this.validation.stateOf(document);
    const target = state?.report.summary?.datastore;
    const parts: string[] = [];
    if (target?.site && target.id) {
      parts.push(`$(database) ${this.datastores.peek(target.site, target.id)?.name ?? shortId(target.id)}`, target.site);
    } else {
      parts.push(`$(database) ${vscode.l10n.t('no datastore')}`);
    }
    const relative = vscode.workspace.asRelativePath(document.uri);
    if (!state) {
      parts.push('$(sync~spin)');
      this.item.tooltip = vscode.l10n.t('Validating {0}…', relative);
      this.item.command = undefined;
    } else if (state.errors > 0) {
      parts.push(`$(error) ${problemCount(state.errors)}`);
      this.item.tooltip = vscode.l10n.t('{0} has {1} errors. Click to show them.', relative, state.errors);
      this.item.command = { command: 'workbench.actions.view.problems', title: vscode.l10n.t('Show Problems') };
    } else {
      parts.push(state.warnings > 0 ? `$(warning) ${state.warnings}` : '$(check)');
      this.item.tooltip = vscode.l10n.t('{0} is valid: {1} items. Click to push.', relative, state.report.summary?.itemCount ?? 0);
      this.item.command = { command: 'ddstore.push', title: vscode.l10n.t('Push to Datastore'), arguments: [document.uri] };
    }
    this.item.text = parts.join(' · ');
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

function problemCount(errors: number): string {
  return errors === 1 ? vscode.l10n.t('1 problem') : vscode.l10n.t('{0} problems', errors);
}
