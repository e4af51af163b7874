import * as vscode from 'vscode';
import type { ApiKeys, DatastoreClient } from '../core/api/datastoreClient';
import { globalDispatcherUnchanged } from '../core/api/undiciLoader';
import { itemsConfirmed, PushJournal } from '../core/push/pushJournal';
import { registerHistoryCommands } from './commands/historyCommands';
import { registerKeyCommands } from './commands/keyCommands';
import { ApiDiagnostics } from './diagnostics/apiDiagnostics';
import { LiveValidation } from './diagnostics/liveValidation';
import type { StatusSnapshot } from './editor/statusBar';
import { registerEditorFeatures } from './editor/register';
import { pushStatus, WritesTreeProvider } from './history/writesTreeProvider';
import { channelLogger } from './logging/outputLogger';
import { ClientFactory } from './push/clientFactory';
import type { PushArguments } from './push/pushController';
import { PushController } from './push/pushController';
import { KeyStore } from './secrets/keyStore';
import type { SecretBackend } from './secrets/profileStore';
import { SwitchableSecretBackend } from './secrets/switchableSecrets';
import type { TrustSeam } from './trust/untrustedPush';
import { setTrustSeamForTests } from './trust/untrustedPush';
import { PrimaryKeyCache } from './target/primaryKeyCache';

/** API of the extension, for tests and other extensions. */
export interface DdstoreApi {
  /** True when loading undici left the process-wide fetch dispatcher as it was. */
  globalDispatcherUnchanged(): boolean;
  /** The write history as the Writes view shows it, newest first. */
  listPushes(): Promise<Array<{ id: string; file: string; status: string; itemsWritten: number; itemCount: number; requests: number }>>;
  /** Hooks for the integration tests; present only when the extension runs in test mode. */
  testing?: DdstoreTestHooks;
}

/** Hooks that tests may replace or read. Exported only in extension test mode. */
export interface DdstoreTestHooks {
  /** Replaces SecretStorage, for example with one that fails; undefined restores it. */
  replaceSecretStorage(backend: SecretBackend | undefined): void;
  /** Replaces the workspace-trust check and its modal question; undefined restores them. */
  replaceTrustSeam(seam: TrustSeam | undefined): void;
  /** Folder of this extension's logs (`context.logUri`). */
  readonly logFolder: string;
  /** Folder of the write history. */
  readonly journalFolder: string;
  /** Current snapshot of the ddstore status bar item. */
  statusBar(): StatusSnapshot;
}

export function activate(context: vscode.ExtensionContext): DdstoreApi {
  const channel = vscode.window.createOutputChannel('ddstore', { log: true });
  const logger = channelLogger(channel, 'ddstore');
  const journalFolder = vscode.Uri.joinPath(context.globalStorageUri, 'pushes').fsPath;
  const journal = new PushJournal(journalFolder);
  const secrets = new SwitchableSecretBackend(context.secrets);
  const keyStore = new KeyStore(secrets, context.globalState, channelLogger(channel, 'keys'));
  const tree = new WritesTreeProvider(journal, channelLogger(channel, 'writes'));
  const apiDiagnostics = new ApiDiagnostics(channelLogger(channel, 'diagnostics'));
  const clients = new ClientFactory(channelLogger(channel, 'http'), String(context.extension.packageJSON.version ?? '0.0.0'));
  const createClient = (site: string, keys: ApiKeys): DatastoreClient => clients.create(site, keys, 1);
  const datastores = new PrimaryKeyCache(keyStore, createClient, channelLogger(channel, 'validation'));
  const validation = new LiveValidation(channelLogger(channel, 'validation'), datastores);
  const editor = registerEditorFeatures({ validation, datastores, keys: keyStore, createClient, logger: channelLogger(channel, 'editor') });
  const pushes = new PushController({ keyStore, journal, tree, apiDiagnostics, validation, clients, logger: channelLogger(channel, 'push') });

  context.subscriptions.push(
    channel,
    tree,
    apiDiagnostics,
    validation,
    vscode.window.createTreeView('ddstore.writes', { treeDataProvider: tree, showCollapseAll: true }),
    vscode.commands.registerCommand('ddstore.push', (resource?: vscode.Uri, args?: PushArguments) => pushes.push(resource, args)),
    vscode.commands.registerCommand('ddstore.showLog', () => channel.show()),
    ...registerKeyCommands({ keyStore, clients, logger: channelLogger(channel, 'keys') }),
    ...registerHistoryCommands(tree, journal, pushes),
    ...editor.disposables,
  );
  void tree.reload();
  logger.info(`activated (VS Code ${vscode.version})`);

  const testing: DdstoreTestHooks | undefined =
    context.extensionMode === vscode.ExtensionMode.Test
      ? {
          replaceSecretStorage: (backend) => secrets.replace(backend),
          replaceTrustSeam: (seam) => setTrustSeamForTests(seam),
          logFolder: context.logUri.fsPath,
          journalFolder,
          statusBar: () => editor.statusBar(),
        }
      : undefined;

  return {
    testing,
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
