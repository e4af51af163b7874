import * as vscode from 'vscode';
import type { ApiKeys } from '../../core/api/datastoreClient';
import { DdstoreError, errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import { defaultRedactor } from '../../core/log';
import { findSite } from '../../core/sites';

const SECRET_PREFIX = 'ddstore.keys/';

/**
 * Keeps one API key and application key pair per Datadog site in VS Code's SecretStorage.
 * Nothing about keys is written anywhere else; values read are registered with the redactor
 * so no log line or message can show them.
 */
export class KeyStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {}

  private secretName(site: string): string {
    return SECRET_PREFIX + (findSite(site)?.id ?? site);
  }

  async get(site: string): Promise<ApiKeys | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(this.secretName(site));
    } catch (error) {
      this.logger.error(`reading keys for ${site} from SecretStorage failed: ${errorMessage(error)}`);
      throw keyringError('read', error);
    }
    if (!raw) {
      return undefined;
    }
    try {
      const parsed = JSON.parse(raw) as Partial<ApiKeys>;
      if (typeof parsed.apiKey === 'string' && typeof parsed.appKey === 'string') {
        defaultRedactor.add(parsed.apiKey);
        defaultRedactor.add(parsed.appKey);
        return { apiKey: parsed.apiKey, appKey: parsed.appKey };
      }
    } catch {
      // Fall through: an unreadable entry is treated as missing and replaced on the next save.
    }
    this.logger.warn(`the stored keys for ${site} are unreadable; they will be requested again`);
    return undefined;
  }

  async set(site: string, keys: ApiKeys): Promise<void> {
    defaultRedactor.add(keys.apiKey);
    defaultRedactor.add(keys.appKey);
    try {
      await this.secrets.store(this.secretName(site), JSON.stringify(keys));
    } catch (error) {
      this.logger.error(`storing keys for ${site} in SecretStorage failed: ${errorMessage(error)}`);
      throw keyringError('store', error);
    }
    this.logger.info(`keys for ${site} saved in SecretStorage`);
  }

  async delete(site: string): Promise<void> {
    await this.secrets.delete(this.secretName(site));
    this.logger.info(`keys for ${site} removed from SecretStorage`);
  }

  /** Returns the stored keys, or asks for them with password inputs and stores them. */
  async getOrAsk(site: string): Promise<ApiKeys | undefined> {
    const existing = await this.get(site);
    if (existing) {
      return existing;
    }
    const keys = await askForKeys(site);
    if (keys) {
      await this.set(site, keys);
    }
    return keys;
  }
}

function keyringError(action: 'read' | 'store', cause: unknown): DdstoreError {
  return new DdstoreError(
    'storage-failed',
    `Unable to ${action} keys in the OS keyring through VS Code's SecretStorage: ${errorMessage(cause)}. ` +
      'On Linux, install and unlock a Secret Service keyring (such as GNOME Keyring or KWallet), ' +
      'or start VS Code with --password-store=basic.',
    { cause },
  );
}

const KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

function validateKeyInput(value: string, kind: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') {
    return `Enter the ${kind}.`;
  }
  if (!KEY_PATTERN.test(trimmed)) {
    return `This does not look like a Datadog ${kind}: keys are 16 to 128 letters, digits, - or _.`;
  }
  return undefined;
}

/** Asks for both keys with password inputs; undefined when the user cancels. */
export async function askForKeys(site: string): Promise<ApiKeys | undefined> {
  const apiKey = await vscode.window.showInputBox({
    title: vscode.l10n.t('Datadog API key for {0}', site),
    prompt: vscode.l10n.t('Organization Settings > API Keys on {0}. Stored in VS Code SecretStorage only.', site),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => validateKeyInput(value, 'API key'),
  });
  if (!apiKey) {
    return undefined;
  }
  const appKey = await vscode.window.showInputBox({
    title: vscode.l10n.t('Datadog application key for {0}', site),
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
