import * as vscode from 'vscode';
import { locateInItem } from '../../core/format/locate';
import { parseDdstoreText } from '../../core/format/parseDocument';
import type { PushHistoryEntry, PushJournal } from '../../core/push/pushJournal';
import { spanToRange } from '../diagnostics/spans';
import type { WritesNode, WritesTreeProvider } from '../history/writesTreeProvider';
import type { PushController } from '../push/pushController';

/**
 * Finds the push a command targets: a tree node (menus) or a push id (tests and other callers).
 * Anything else, such as a node-like object without a journal header, targets nothing.
 */
async function entryOf(tree: WritesTreeProvider, target: WritesNode | string | undefined): Promise<PushHistoryEntry | undefined> {
  if (typeof target === 'string') {
    return (await tree.list()).find((entry) => entry.header.id === target);
  }
  const entry = (target as { entry?: Partial<PushHistoryEntry> } | undefined)?.entry;
  if (!entry?.header || typeof entry.header.id !== 'string' || !Array.isArray(entry.outcomes)) {
    return undefined;
  }
  return entry as PushHistoryEntry;
}

export function registerHistoryCommands(tree: WritesTreeProvider, journal: PushJournal, pushes: PushController): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('ddstore.writes.refresh', () => tree.reload()),
    vscode.commands.registerCommand('ddstore.writes.resume', async (target?: WritesNode | string) => {
      const entry = await entryOf(tree, target);
      // A caller that passes a push id gets an error instead of a key prompt.
      return entry ? pushes.resume(entry, 'unconfirmed', typeof target !== 'string') : undefined;
    }),
    vscode.commands.registerCommand('ddstore.writes.retryFailed', async (target?: WritesNode | string) => {
      const entry = await entryOf(tree, target);
      return entry ? pushes.resume(entry, 'failed', typeof target !== 'string') : undefined;
    }),
    vscode.commands.registerCommand('ddstore.writes.cancel', (target?: WritesNode | string) => {
      const id = typeof target === 'string' ? target : target?.entry?.header?.id;
      return id ? pushes.cancel(id) : false;
    }),
    vscode.commands.registerCommand('ddstore.writes.openFile', async (target?: WritesNode | string) => {
      const entry = await entryOf(tree, target);
      if (entry) {
        await vscode.window.showTextDocument(vscode.Uri.parse(entry.header.file));
      }
    }),
    vscode.commands.registerCommand('ddstore.writes.remove', async (target?: WritesNode | string) => {
      const entry = await entryOf(tree, target);
      if (entry && !tree.isRunning(entry.header.id)) {
        await journal.remove(entry.header.id);
        await tree.reload();
      }
    }),
    vscode.commands.registerCommand('ddstore.writes.clear', async () => {
      const clear = vscode.l10n.t('Clear History');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Remove every push from the write history? Items in Datadog are not affected.'),
        { modal: true },
        clear,
      );
      if (choice === clear) {
        await journal.clear();
        await tree.reload();
      }
    }),
    vscode.commands.registerCommand('ddstore.writes.revealItem', async (file: string, itemIndex: number, path: readonly (string | number)[] = []) => {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(file));
      const text = document.getText();
      const parsed = parseDdstoreText(text).document;
      const editor = await vscode.window.showTextDocument(document);
      if (parsed) {
        const range = spanToRange(document, locateInItem(text, parsed, itemIndex, path));
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }),
  ];
}
