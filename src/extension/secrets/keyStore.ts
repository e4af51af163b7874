import * as vscode from 'vscode';
import type { ApiKeys } from '../../core/api/datastoreClient';
import type { Logger } from '../../core/log';
import type { KeyProfile, MetadataBackend, SecretBackend } from './profileStore';
import { checkKeyFormat, DEFAULT_PROFILE_NAME, isKeyringFailure, ProfileStore } from './profileStore';

/**
 * Key profiles for the extension: the profile store plus the prompts around it. Pushes use
 * the active profile of the target site. The storage backends are parameters, so a test can
 * pass a SecretStorage that fails as it does on Linux without a Secret Service.
 */
export class KeyStore {
  readonly profiles: ProfileStore;

  constructor(secrets: SecretBackend, metadata: MetadataBackend, logger: Logger) {
    this.profiles = new ProfileStore(secrets, metadata, logger);
  }

  /** Returns the keys of the site's active profile. Throws `storage-failed` when the keyring fails. */
  async get(site: string): Promise<ApiKeys | undefined> {
    return (await this.profiles.activeKeys(site))?.keys;
  }

  /** Saves keys into the site's active profile, or into a new "default" profile. */
  async set(site: string, keys: ApiKeys, options: { sessionOnly?: boolean } = {}): Promise<KeyProfile> {
    const name = this.profiles.activeName(site) ?? DEFAULT_PROFILE_NAME;
    return this.profiles.save(name, site, keys, options);
  }

  /** Forgets every profile of a site. */
  async delete(site: string): Promise<number> {
    return this.profiles.forgetSite(site);
  }

  /**
   * Returns the active profile's keys, or prompts for keys and saves them. When the keyring
   * fails, offers to keep the keys in memory until the window reloads.
   */
  async getOrAsk(site: string): Promise<ApiKeys | undefined> {
    let existing: ApiKeys | undefined;
    try {
      existing = await this.get(site);
    } catch (error) {
      if (!isKeyringFailure(error)) {
        throw error;
      }
      // The keyring cannot be read, so prompt for keys and offer to keep them in memory.
    }
    if (existing) {
      return existing;
    }
    const keys = await askForKeys(site);
    if (!keys) {
      return undefined;
    }
    const saved = await this.saveWithFallback(() => this.set(site, keys), () => this.set(site, keys, { sessionOnly: true }));
    return saved ? keys : undefined;
  }

  /**
   * Runs `save`; when the keyring fails, shows what to do and runs `saveInMemory` if the user
   * agrees. Returns the saved profile, or undefined when nothing was saved.
   */
  async saveWithFallback(save: () => Promise<KeyProfile>, saveInMemory: () => Promise<KeyProfile>): Promise<KeyProfile | undefined> {
    try {
      return await save();
    } catch (error) {
      if (!isKeyringFailure(error)) {
        throw error;
      }
      const keepInMemory = vscode.l10n.t('Keep in Memory Until Reload');
      const choice = await vscode.window.showErrorMessage(
        vscode.l10n.t('VS Code could not store the keys in the OS keyring.'),
        { modal: true, detail: (error as Error).message },
        keepInMemory,
      );
      if (choice !== keepInMemory) {
        return undefined;
      }
      return saveInMemory();
    }
  }
}

function validateKeyInput(value: string, kind: 'API key' | 'application key'): string | undefined {
  const problem = checkKeyFormat(value, kind);
  return problem ? vscode.l10n.t('{0}', problem) : undefined;
}

/** Asks for both keys with password inputs; undefined when the user cancels. */
export async function askForKeys(site: string, profile?: string): Promise<ApiKeys | undefined> {
  const suffix = profile ? ` (${profile})` : '';
  const apiKey = await vscode.window.showInputBox({
    title: vscode.l10n.t('Datadog API key for {0}{1}', site, suffix),
    prompt: vscode.l10n.t('Organization Settings > API Keys on {0}. Stored in VS Code SecretStorage only.', site),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => validateKeyInput(value, 'API key'),
  });
  if (!apiKey) {
    return undefined;
  }
  const appKey = await vscode.window.showInputBox({
    title: vscode.l10n.t('Datadog application key for {0}{1}', site, suffix),
    prompt: vscode.l10n.t('Needs the apps_datastore_read and apps_datastore_write permissions. Stored in VS Code SecretStorage only.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => validateKeyInput(value, 'application key'),
  });
  if (!appKey) {
    return undefined;
  }
  return { apiKey: apiKey.trim(), appKey: appKey.trim() };
}
