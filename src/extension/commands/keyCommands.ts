import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import { findSite } from '../../core/sites';
import { defaultSite } from '../config/settings';
import type { KeyStore } from '../secrets/keyStore';
import { askForKeys } from '../secrets/keyStore';
import { pickSite } from '../target/targetPicker';

/** Arguments of `ddstore.setKeys` for automation; without them the user is asked. */
export interface SetKeysArguments {
  readonly site?: string;
  readonly apiKey?: string;
  readonly appKey?: string;
}

export function registerKeyCommands(keyStore: KeyStore, logger: Logger): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('ddstore.setKeys', async (args?: SetKeysArguments) => {
      try {
        const site = args?.site ?? (await pickSite(defaultSite()));
        if (!site || !findSite(site)) {
          return false;
        }
        const keys = args?.apiKey && args.appKey ? { apiKey: args.apiKey, appKey: args.appKey } : await askForKeys(site);
        if (!keys) {
          return false;
        }
        await keyStore.set(site, keys);
        if (!args?.apiKey) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Keys for {0} saved in VS Code SecretStorage.', site));
        }
        return true;
      } catch (error) {
        logger.error(`setting keys failed: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(errorMessage(error));
        return false;
      }
    }),
    vscode.commands.registerCommand('ddstore.forgetKeys', async (args?: { site?: string }) => {
      const site = args?.site ?? (await pickSite(defaultSite()));
      if (!site) {
        return false;
      }
      try {
        await keyStore.delete(site);
        if (!args?.site) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Keys for {0} removed from VS Code SecretStorage.', site));
        }
        return true;
      } catch (error) {
        logger.error(`forgetting keys failed: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(errorMessage(error));
        return false;
      }
    }),
  ];
}
