/**
 * Named key profiles without any VS Code import, so unit tests can run it under plain Node.
 * Key values live only in the secret backend (VS Code's SecretStorage) or, when the user opts
 * in after a keyring failure, in this object's memory until the window reloads. Profile names,
 * sites and the active profile per site live in the metadata backend (globalState).
 */
import type { ApiKeys } from '../../core/api/datastoreClient';
import { DdstoreError, errorMessage } from '../../core/errors';
import type { Logger, SecretRedactor } from '../../core/log';
import { defaultRedactor, silentLogger } from '../../core/log';
import { findSite, siteIds } from '../../core/sites';

/** The subset of `vscode.SecretStorage` the store uses. */
export interface SecretBackend {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** The subset of `vscode.Memento` the store uses. */
export interface MetadataBackend {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** A named key pair for one Datadog site. */
export interface KeyProfile {
  readonly name: string;
  /** Site id, for example `datadoghq.eu`. */
  readonly site: string;
  /** True when the keys are kept in memory only and are forgotten when the window reloads. */
  readonly sessionOnly: boolean;
  /** True when this profile's keys are used for pushes to its site. */
  readonly active: boolean;
}

interface StoredMetadata {
  profiles: Array<{ name: string; site: string }>;
  /** Active profile name per site id. */
  active: Record<string, string>;
}

export const DEFAULT_PROFILE_NAME = 'default';
export const METADATA_KEY = 'ddstore.profiles';
const SECRET_PREFIX = 'ddstore.profile/';
/** Secret prefix of versions before profiles, one pair per site. Read once and moved to "default". */
const LEGACY_SECRET_PREFIX = 'ddstore.keys/';

const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Returns an error message for an invalid profile name, or undefined when it is valid. */
export function checkProfileName(name: string): string | undefined {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid profile name. Use 1 to 64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit.`;
  }
  return undefined;
}

/** Returns an error message for a value that cannot be a Datadog key, without showing the value. */
export function checkKeyFormat(value: string, kind: 'API key' | 'application key'): string | undefined {
  if (value.trim() === '') {
    return `The ${kind} is empty. Enter the ${kind}.`;
  }
  if (!KEY_PATTERN.test(value.trim())) {
    return `The ${kind} is not valid: Datadog keys are 16 to 128 letters, digits, "-" or "_". Copy it again from Datadog.`;
  }
  return undefined;
}

function requireSite(site: string): string {
  const known = findSite(site);
  if (!known) {
    throw new DdstoreError('invalid-target', `"${site}" is not a Datadog site. Use one of: ${siteIds().join(', ')}.`);
  }
  return known.id;
}

/** Error for a SecretStorage failure, with the fixes that work on Linux. */
export function keyringError(action: 'read' | 'store' | 'delete', site: string, cause: unknown): DdstoreError {
  return new DdstoreError(
    'storage-failed',
    `Unable to ${action} the keys for ${site} in the OS keyring through VS Code's SecretStorage: ${errorMessage(cause)}. ` +
      'On Linux, install and unlock a Secret Service keyring (GNOME Keyring or KWallet), ' +
      'or set "password-store" in VS Code\'s runtime arguments (Preferences: Configure Runtime Arguments) and restart VS Code. ' +
      'You can also keep the keys in memory until VS Code reloads.',
    { cause },
  );
}

export function isKeyringFailure(error: unknown): boolean {
  return error instanceof DdstoreError && error.code === 'storage-failed';
}

/** Stores named key profiles, at most one active profile per site. */
export class ProfileStore {
  private readonly sessionKeys = new Map<string, ApiKeys>();
  private readonly sessionProfiles = new Map<string, { name: string; site: string }>();
  private readonly sessionActive = new Map<string, string>();

  constructor(
    private readonly secrets: SecretBackend,
    private readonly metadata: MetadataBackend,
    private readonly logger: Logger = silentLogger,
    private readonly redactor: SecretRedactor = defaultRedactor,
  ) {}

  private readMetadata(): StoredMetadata {
    const stored = this.metadata.get<StoredMetadata>(METADATA_KEY);
    return {
      profiles: Array.isArray(stored?.profiles) ? stored.profiles.filter((p) => typeof p?.name === 'string' && typeof p?.site === 'string') : [],
      active: stored?.active && typeof stored.active === 'object' ? { ...stored.active } : {},
    };
  }

  private static id(site: string, name: string): string {
    return `${site}/${name}`;
  }

  private static secretName(site: string, name: string): string {
    return SECRET_PREFIX + ProfileStore.id(site, name);
  }

  /** Lists every profile, stored and session-only, sorted by site and name. */
  list(): KeyProfile[] {
    const metadata = this.readMetadata();
    const result: KeyProfile[] = [];
    for (const profile of metadata.profiles) {
      result.push({ ...profile, sessionOnly: false, active: this.activeName(profile.site) === profile.name });
    }
    for (const profile of this.sessionProfiles.values()) {
      if (!metadata.profiles.some((p) => p.site === profile.site && p.name === profile.name)) {
        result.push({ ...profile, sessionOnly: true, active: this.activeName(profile.site) === profile.name });
      }
    }
    return result.sort((a, b) => a.site.localeCompare(b.site) || a.name.localeCompare(b.name));
  }

  /** Returns the active profile name for a site: the chosen one, else the only or first profile. */
  activeName(site: string): string | undefined {
    const siteId = findSite(site)?.id ?? site;
    const session = this.sessionActive.get(siteId);
    if (session) {
      return session;
    }
    const metadata = this.readMetadata();
    const names = [
      ...metadata.profiles.filter((p) => p.site === siteId).map((p) => p.name),
      ...[...this.sessionProfiles.values()].filter((p) => p.site === siteId).map((p) => p.name),
    ];
    const chosen = metadata.active[siteId];
    if (chosen && names.includes(chosen)) {
      return chosen;
    }
    return names[0];
  }

  /**
   * Saves a profile and makes it active for its site. With `sessionOnly`, nothing is written
   * to SecretStorage or globalState. Throws a `storage-failed` error when the keyring fails.
   */
  async save(name: string, site: string, keys: ApiKeys, options: { sessionOnly?: boolean } = {}): Promise<KeyProfile> {
    const nameError = checkProfileName(name);
    if (nameError) {
      throw new DdstoreError('invalid-input', nameError);
    }
    const siteId = requireSite(site);
    const apiKey = keys.apiKey.trim();
    const appKey = keys.appKey.trim();
    const keyError = checkKeyFormat(apiKey, 'API key') ?? checkKeyFormat(appKey, 'application key');
    if (keyError) {
      throw new DdstoreError('invalid-input', `${keyError} Profile "${name}" for ${siteId} was not saved.`);
    }
    this.redactor.add(apiKey);
    this.redactor.add(appKey);
    const id = ProfileStore.id(siteId, name);

    if (options.sessionOnly) {
      this.sessionKeys.set(id, { apiKey, appKey });
      this.sessionProfiles.set(id, { name, site: siteId });
      this.sessionActive.set(siteId, name);
      this.logger.warn(`profile "${name}" for ${siteId} is kept in memory only; it is forgotten when the window reloads`);
      return { name, site: siteId, sessionOnly: true, active: true };
    }

    try {
      await this.secrets.store(ProfileStore.secretName(siteId, name), JSON.stringify({ apiKey, appKey }));
    } catch (error) {
      this.logger.error(`storing profile "${name}" for ${siteId} in SecretStorage failed: ${errorMessage(error)}`);
      throw keyringError('store', siteId, error);
    }
    const metadata = this.readMetadata();
    if (!metadata.profiles.some((p) => p.site === siteId && p.name === name)) {
      metadata.profiles.push({ name, site: siteId });
    }
    metadata.active[siteId] = name;
    await this.metadata.update(METADATA_KEY, metadata);
    // A stored profile replaces a session-only one of the same name.
    this.sessionKeys.delete(id);
    this.sessionProfiles.delete(id);
    this.sessionActive.delete(siteId);
    this.logger.info(`profile "${name}" for ${siteId} saved in SecretStorage and made active`);
    return { name, site: siteId, sessionOnly: false, active: true };
  }

  /** Makes a profile the one used for pushes to its site. */
  async activate(site: string, name: string): Promise<void> {
    const siteId = requireSite(site);
    const profile = this.list().find((p) => p.site === siteId && p.name === name);
    if (!profile) {
      throw new DdstoreError('invalid-input', `No profile "${name}" exists for ${siteId}. Add it first with "ddstore: Add Key Profile".`);
    }
    if (profile.sessionOnly) {
      this.sessionActive.set(siteId, name);
    } else {
      this.sessionActive.delete(siteId);
      const metadata = this.readMetadata();
      metadata.active[siteId] = name;
      await this.metadata.update(METADATA_KEY, metadata);
    }
    this.logger.info(`profile "${name}" is now active for ${siteId}`);
  }

  /** Reads the keys of a profile; undefined when it has none. Throws `storage-failed` when the keyring fails. */
  async keys(site: string, name: string): Promise<ApiKeys | undefined> {
    const siteId = requireSite(site);
    const session = this.sessionKeys.get(ProfileStore.id(siteId, name));
    if (session) {
      return session;
    }
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(ProfileStore.secretName(siteId, name));
    } catch (error) {
      this.logger.error(`reading profile "${name}" for ${siteId} from SecretStorage failed: ${errorMessage(error)}`);
      throw keyringError('read', siteId, error);
    }
    return this.parseKeys(raw, `profile "${name}" for ${siteId}`);
  }

  /** Returns the keys of the site's active profile, moving keys stored before profiles existed. */
  async activeKeys(site: string): Promise<{ profile: string; keys: ApiKeys } | undefined> {
    const siteId = requireSite(site);
    const name = this.activeName(siteId);
    if (name) {
      const keys = await this.keys(siteId, name);
      return keys ? { profile: name, keys } : undefined;
    }
    return this.migrateLegacy(siteId);
  }

  private async migrateLegacy(siteId: string): Promise<{ profile: string; keys: ApiKeys } | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(LEGACY_SECRET_PREFIX + siteId);
    } catch (error) {
      throw keyringError('read', siteId, error);
    }
    const keys = this.parseKeys(raw, `the keys for ${siteId}`);
    if (!keys) {
      return undefined;
    }
    await this.save(DEFAULT_PROFILE_NAME, siteId, keys);
    await this.secrets.delete(LEGACY_SECRET_PREFIX + siteId);
    this.logger.info(`moved the keys for ${siteId} to profile "${DEFAULT_PROFILE_NAME}"`);
    return { profile: DEFAULT_PROFILE_NAME, keys };
  }

  private parseKeys(raw: string | undefined, what: string): ApiKeys | undefined {
    if (!raw) {
      return undefined;
    }
    try {
      const parsed = JSON.parse(raw) as Partial<ApiKeys>;
      if (typeof parsed.apiKey === 'string' && typeof parsed.appKey === 'string') {
        this.redactor.add(parsed.apiKey);
        this.redactor.add(parsed.appKey);
        return { apiKey: parsed.apiKey, appKey: parsed.appKey };
      }
    } catch {
      // Falls through: an unreadable entry counts as missing and is replaced on the next save.
    }
    this.logger.warn(`the stored keys of ${what} are unreadable; set them again`);
    return undefined;
  }

  /** Deletes a profile's keys and metadata. Returns false when no such profile exists. */
  async forget(site: string, name: string): Promise<boolean> {
    const siteId = requireSite(site);
    const id = ProfileStore.id(siteId, name);
    const inSession = this.sessionProfiles.delete(id);
    this.sessionKeys.delete(id);
    if (this.sessionActive.get(siteId) === name) {
      this.sessionActive.delete(siteId);
    }
    const metadata = this.readMetadata();
    const stored = metadata.profiles.some((p) => p.site === siteId && p.name === name);
    if (stored) {
      try {
        await this.secrets.delete(ProfileStore.secretName(siteId, name));
      } catch (error) {
        throw keyringError('delete', siteId, error);
      }
      metadata.profiles = metadata.profiles.filter((p) => !(p.site === siteId && p.name === name));
      if (metadata.active[siteId] === name) {
        delete metadata.active[siteId];
      }
      await this.metadata.update(METADATA_KEY, metadata);
    }
    if (stored || inSession) {
      this.logger.info(`profile "${name}" for ${siteId} forgotten`);
    }
    return stored || inSession;
  }

  /** Deletes every profile of a site, and keys stored before profiles existed. */
  async forgetSite(site: string): Promise<number> {
    const siteId = requireSite(site);
    let count = 0;
    for (const profile of this.list().filter((p) => p.site === siteId)) {
      if (await this.forget(siteId, profile.name)) {
        count += 1;
      }
    }
    try {
      await this.secrets.delete(LEGACY_SECRET_PREFIX + siteId);
    } catch (error) {
      throw keyringError('delete', siteId, error);
    }
    return count;
  }
}
