import * as vscode from 'vscode';
import { globalDispatcherUnchanged } from '../core/api/undiciLoader';
import { itemsConfirmed, PushJournal } from '../core/push/pushJournal';
import { registerHistoryCommands } from './commands/historyCommands';
import { registerKeyCommands } from './commands/keyCommands';
import { ApiDiagnostics } from './diagnostics/apiDiagnostics';
import { LiveValidation } from './diagnostics/liveValidation';
import { pushStatus, WritesTreeProvider } from './history/writesTreeProvider';
import { channelLogger } from './logging/outputLogger';
import { ClientFactory } from './push/clientFactory';
import type { PushArguments } from './push/pushController';
import { PushController } from './push/pushController';
import { KeyStore } from './secrets/keyStore';

/** What the extension exports, for tests and other extensions. */
export interface DdstoreApi {
  /** True when loading undici left the process-wide fetch dispatcher as it was. */
  globalDispatcherUnchanged(): boolean;
  /** The write history as the Writes view shows it, newest first. */
  listPushes(): Promise<Array<{ id: string; file: string; status: string; itemsWritten: number; itemCount: number; requests: number }>>;
}

export function activate(context: vscode.ExtensionContext): DdstoreApi {
  const channel = vscode.window.createOutputChannel('ddstore', { log: true });
  const logger = channelLogger(channel, 'ddstore');
  const journal = new PushJournal(vscode.Uri.joinPath(context.globalStorageUri, 'pushes').fsPath);
  const keyStore = new KeyStore(context.secrets, channelLogger(channel, 'keys'));
  const tree = new WritesTreeProvider(journal, channelLogger(channel, 'writes'));
  const apiDiagnostics = new ApiDiagnostics(channelLogger(channel, 'diagnostics'));
  const validation = new LiveValidation(channelLogger(channel, 'validation'));
  const clients = new ClientFactory(channelLogger(channel, 'http'), String(context.extension.packageJSON.version ?? '0.0.0'));
  const pushes = new PushController({ keyStore, journal, tree, apiDiagnostics, validation, clients, logger: channelLogger(channel, 'push') });

  context.subscriptions.push(
    channel,
    tree,
    apiDiagnostics,
    validation,
    vscode.window.createTreeView('ddstore.writes', { treeDataProvider: tree, showCollapseAll: true }),
    vscode.commands.registerCommand('ddstore.push', (resource?: vscode.Uri, args?: PushArguments) => pushes.push(resource, args)),
    vscode.commands.registerCommand('ddstore.showLog', () => channel.show()),
    ...registerKeyCommands(keyStore, channelLogger(channel, 'keys')),
    ...registerHistoryCommands(tree, journal, pushes),
  );
  void tree.reload();
  logger.info(`activated (VS Code ${vscode.version})`);

  return {
    globalDispatcherUnchanged,
    listPushes: async () =>
      (await tree.list()).map((entry) => ({
        id: entry.header.id,
        file: entry.header.file,
        status: pushStatus(entry, tree.isRunning(entry.header.id)),
        itemsWritten: itemsConfirmed(entry),
        itemCount: entry.header.itemCount,
        requests: entry.outcomes.length,
      })),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
