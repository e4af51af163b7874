import type { DatastoreSummary } from '../../core/api/apiTypes';
import type { ApiKeys, DatastoreClient } from '../../core/api/datastoreClient';
import { isDatastoreId } from '../../core/api/datastoreClient';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import { findSite } from '../../core/sites';

/** The parts of the key store that the cache uses: reading stored keys, never asking for them. */
export interface StoredKeys {
  get(site: string): Promise<ApiKeys | undefined>;
}

/** A failed lookup is tried again after this many milliseconds, not on every keystroke. */
const RETRY_AFTER_MS = 60_000;

/**
 * Remembers the datastores that files are bound to, so validation can check items against the
 * datastore's primary column. Each site and datastore id is read from the API at most once per
 * session, and only when keys for that site are already stored: validation never asks for keys.
 */
export class PrimaryKeyCache {
  private readonly known = new Map<string, DatastoreSummary>();
  private readonly pending = new Map<string, Promise<DatastoreSummary | undefined>>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly keys: StoredKeys,
    private readonly createClient: (site: string, keys: ApiKeys) => DatastoreClient,
    private readonly logger: Logger,
  ) {}

  /** Returns the datastore when it was read before, without any request. */
  peek(site: string, id: string): DatastoreSummary | undefined {
    return this.known.get(cacheKey(site, id));
  }

  /** Stores a datastore that another part of the extension has read, for example a push. */
  remember(site: string, datastore: DatastoreSummary): void {
    this.known.set(cacheKey(site, datastore.id), datastore);
    this.failedAt.delete(cacheKey(site, datastore.id));
  }

  /** Forgets every datastore, for example after the keys changed. */
  clear(): void {
    this.known.clear();
    this.failedAt.clear();
  }

  /**
   * Returns the datastore, reading it once from the API when keys for the site are stored.
   * Resolves to undefined, and logs why, when the site or id is invalid, no keys are stored,
   * or the request fails; it never rejects.
   */
  lookup(site: string, id: string): Promise<DatastoreSummary | undefined> {
    const key = cacheKey(site, id);
    const known = this.known.get(key);
    if (known) {
      return Promise.resolve(known);
    }
    if (!findSite(site) || !isDatastoreId(id)) {
      return Promise.resolve(undefined);
    }
    const failed = this.failedAt.get(key);
    if (failed !== undefined && Date.now() - failed < RETRY_AFTER_MS) {
      return Promise.resolve(undefined);
    }
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetch(site, id).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }

  private async fetch(site: string, id: string): Promise<DatastoreSummary | undefined> {
    const key = cacheKey(site, id);
    let keys: ApiKeys | undefined;
    try {
      keys = await this.keys.get(site);
    } catch (error) {
      this.logger.warn(`reading the stored keys for ${site} failed, so datastore ${id} is not read: ${errorMessage(error)}`);
      this.failedAt.set(key, Date.now());
      return undefined;
    }
    if (!keys) {
      this.logger.debug(`no keys are stored for ${site}; the primary column of datastore ${id} stays unknown`);
      return undefined;
    }
    let client: DatastoreClient | undefined;
    try {
      client = this.createClient(site, keys);
      const datastore = await client.getDatastore(id);
      this.known.set(key, datastore);
      this.failedAt.delete(key);
      this.logger.info(`datastore ${id} on ${site} is "${datastore.name}" with primary column "${datastore.primaryColumnName}"`);
      return datastore;
    } catch (error) {
      this.logger.warn(`reading datastore ${id} on ${site} failed; validation continues without its primary column: ${errorMessage(error)}`);
      this.failedAt.set(key, Date.now());
      return undefined;
    } finally {
      await client?.close().catch(() => undefined);
    }
  }
}

function cacheKey(site: string, id: string): string {
  return `${findSite(site)?.id ?? site}/${id.toLowerCase()}`;
}
