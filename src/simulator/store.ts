import { randomUUID } from 'node:crypto';

export type KeyGenerationStrategy = 'none' | 'uuid';

/** Fields accepted by `DatastoreStore.createDatastore`. */
export interface DatastoreInit {
  name: string;
  primaryColumnName: string;
  /** A UUID. Generated when omitted. */
  id?: string;
  strategy?: KeyGenerationStrategy;
  description?: string;
}

/** One stored item. `id` is the server UUID and survives overwrites, `key` is the primary-column value. */
export interface ItemRecord {
  readonly id: string;
  readonly key: string;
  value: Record<string, unknown>;
  readonly createdAt: string;
  modifiedAt: string;
  /** Incremented on every write, used to derive the opaque `signature`. */
  revision: number;
}

/** Fixed identity of the simulated organization and user, shown in datastore and item attributes. */
export const SIMULATED_ORG_ID = 1000001;
export const SIMULATED_USER_ID = 2000002;
export const SIMULATED_USER_UUID = '00000000-0000-4000-8000-00000000beef';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Returns the current time as RFC 3339 UTC with microseconds, like `2025-09-05T22:54:09.545626Z`. */
export function timestamp(): string {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const millis = Math.floor(micros / 1000);
  const fraction = String(micros % 1_000_000).padStart(6, '0');
  return `${new Date(millis).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** A datastore with its items, kept in insertion order. Overwriting an item keeps its position. */
export class Datastore {
  readonly id: string;
  name: string;
  description: string;
  readonly primaryColumnName: string;
  readonly strategy: KeyGenerationStrategy;
  readonly createdAt: string;
  modifiedAt: string;

  private readonly items = new Map<string, ItemRecord>();
  /** How many items contain each field, in order of first appearance, so `meta.schema` costs O(fields). */
  private readonly fieldCounts = new Map<string, number>();
  /** Cached `[...items.values()]`, dropped on every insert or delete. */
  private ordered: ItemRecord[] | undefined;

  constructor(init: DatastoreInit) {
    this.id = (init.id ?? randomUUID()).toLowerCase();
    this.name = init.name;
    this.description = init.description ?? '';
    this.primaryColumnName = init.primaryColumnName;
    this.strategy = init.strategy ?? 'none';
    this.createdAt = timestamp();
    this.modifiedAt = this.createdAt;
  }

  get size(): number {
    return this.items.size;
  }

  getItem(key: string): ItemRecord | undefined {
    return this.items.get(key);
  }

  /** Creates the item or replaces the whole value of an existing one, keeping its UUID and `created_at`. */
  putItem(key: string, value: Record<string, unknown>): ItemRecord {
    const now = timestamp();
    const existing = this.items.get(key);
    if (existing !== undefined) {
      this.countFields(existing.value, -1);
      existing.value = value;
      existing.modifiedAt = now;
      existing.revision += 1;
      this.countFields(value, 1);
      return existing;
    }
    const record: ItemRecord = { id: randomUUID(), key, value, createdAt: now, modifiedAt: now, revision: 1 };
    this.items.set(key, record);
    this.countFields(value, 1);
    this.ordered = undefined;
    return record;
  }

  deleteItem(key: string): ItemRecord | undefined {
    const record = this.items.get(key);
    if (record === undefined) {
      return undefined;
    }
    this.items.delete(key);
    this.countFields(record.value, -1);
    this.ordered = undefined;
    return record;
  }

  /** Returns all items in insertion order. The array is shared, so callers must not modify it. */
  orderedItems(): readonly ItemRecord[] {
    this.ordered ??= [...this.items.values()];
    return this.ordered;
  }

  /** Returns the names of all fields present in at least one item, in order of first appearance. */
  fieldNames(): string[] {
    return [...this.fieldCounts.keys()];
  }

  private countFields(value: Record<string, unknown>, delta: 1 | -1): void {
    for (const field of Object.keys(value)) {
      const count = (this.fieldCounts.get(field) ?? 0) + delta;
      if (count > 0) {
        this.fieldCounts.set(field, count);
      } else {
        this.fieldCounts.delete(field);
      }
    }
  }
}

/** All datastores of the simulated organization. */
export class DatastoreStore {
  private readonly datastores = new Map<string, Datastore>();

  /** Creates a datastore. Throws when `id` is not a UUID or is already taken. */
  createDatastore(init: DatastoreInit): Datastore {
    if (init.id !== undefined) {
      if (!isUuid(init.id)) {
        throw new Error(`invalid datastore id "${init.id}": expected a UUID`);
      }
      if (this.datastores.has(init.id.toLowerCase())) {
        throw new Error(`datastore ${init.id} already exists`);
      }
    }
    const datastore = new Datastore(init);
    this.datastores.set(datastore.id, datastore);
    return datastore;
  }

  getDatastore(id: string): Datastore | undefined {
    return this.datastores.get(id.toLowerCase());
  }

  listDatastores(): Datastore[] {
    return [...this.datastores.values()];
  }

  /** Removes the datastore with its items and returns whether it existed. */
  deleteDatastore(id: string): boolean {
    return this.datastores.delete(id.toLowerCase());
  }

  /** Returns the item values of a datastore in insertion order, or `[]` when it does not exist. */
  listItems(id: string): Array<Record<string, unknown>> {
    const datastore = this.getDatastore(id);
    return datastore === undefined ? [] : datastore.orderedItems().map((item) => item.value);
  }

  clear(): void {
    this.datastores.clear();
  }
}
