import * as vscode from 'vscode';
import type { LiveValidation } from '../diagnostics/liveValidation';
import type { PrimaryKeyCache } from '../target/primaryKeyCache';
import { BIND_COMMAND } from './bindDatastore';

/**
 * Shows at the top of a `.ddstore.json` file what a push would do: "Push N items to <datastore>
 * on <site>" when the file names its datastore, "Choose a datastore" otherwise, and the number
 * of problems while there are errors.
 */
export class DdstoreCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly validation: LiveValidation,
    private readonly datastores: PrimaryKeyCache,
  ) {
    this.subscription = validation.onDidValidate(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const state = this.validation.stateOf(document);
    const summary = state?.report.summary;
    if (!state || !summary) {
      return [];
    }
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses: vscode.CodeLens[] = [];
    const target = summary.datastore;
    if (target?.site && target.id) {
      const name = this.datastores.peek(target.site, target.id)?.name ?? target.id;
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(cloud-upload) ${vscode.l10n.t('Push {0} items to {1} on {2}', summary.itemCount, name, target.site)}`,
          command: 'ddstore.push',
          arguments: [document.uri],
        }),
      );
    } else if (summary.layout === 'ddstore') {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(database) ${vscode.l10n.t('Choose a datastore')}`,
          tooltip: vscode.l10n.t('Pick a site and a datastore and save them in this file'),
          command: BIND_COMMAND,
          arguments: [document.uri],
        }),
      );
    } else {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(cloud-upload) ${vscode.l10n.t('Push {0} items', summary.itemCount)}`,
          command: 'ddstore.push',
          arguments: [document.uri],
        }),
      );
    }
    if (state.errors > 0) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(error) ${problemCount(state.errors)}`,
          command: 'workbench.actions.view.problems',
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function problemCount(errors: number): string {
  return errors === 1 ? vscode.l10n.t('1 problem') : vscode.l10n.t('{0} problems', errors);
}
