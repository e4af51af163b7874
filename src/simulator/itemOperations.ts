import { createHash, randomUUID } from 'node:crypto';
import { type OperationContext, requireDatastore } from './context';
import { type ApiResponse, fail, jsonApiError, jsonApiErrorResponse, HttpError } from './errors';
import { compileFilter, FilterSyntaxError } from './filter';
import type { Datastore, ItemRecord } from './store';
import { SIMULATED_ORG_ID } from './store';
import {
  checkItemShape,
  isObject,
  ItemErrorCollector,
  type JsonObject,
  MAX_BATCH,
  MAX_FIELD_NAME_LENGTH,
  MAX_ITEM_BYTES,
  MAX_KEY_LENGTH,
  requireAttributes,
  requireData,
  requireItemKey,
} from './validation';

/** NOTE: the real default page size is not documented. The simulator returns up to the maximum, 100. */
const DEFAULT_PAGE_LIMIT = 100;

/** Builds the opaque `signature` attribute. It changes on every write and callers must not parse it. */
function signature(item: ItemRecord): string {
  const digest = createHash('sha256').update(`${item.id}:${item.revision}`).digest('base64');
  return JSON.stringify({ signature: JSON.stringify({ version: 2, algorithm: 'simulator-sha256', value: digest }), version: 1 });
}

/** Serializes an item as `ItemApiPayloadData`. */
function itemResource(datastore: Datastore, item: ItemRecord): unknown {
  return {
    id: item.id,
    type: 'items',
    attributes: {
      created_at: item.createdAt,
      modified_at: item.modifiedAt,
      org_id: SIMULATED_ORG_ID,
      primary_column_name: datastore.primaryColumnName,
      signature: signature(item),
      store_id: datastore.id,
      value: item.value,
    },
  };
}

function integerParameter(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) {
    return fallback;
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    fail(400, 'invalid query parameter', `${name} must be an integer from ${min} to ${max}, got "${raw}"`, { parameter: name });
  }
  return value;
}

/** Orders numbers (0) before strings (1) before other JSON values (2). */
function typeRank(value: unknown): number {
  if (typeof value === 'number') {
    return 0;
  }
  if (typeof value === 'string') {
    return 1;
  }
  return 2;
}

function sortValue(item: ItemRecord, field: string): unknown {
  // NOTE: `created_at` and `modified_at` sort by item metadata, not by value fields of the same name.
  if (field === 'created_at') {
    return item.createdAt;
  }
  if (field === 'modified_at') {
    return item.modifiedAt;
  }
  return item.value[field];
}

/** Orders numbers before strings before other values. Items without the field sort last in both directions. */
function sortItems(items: ItemRecord[], sort: string): ItemRecord[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  if (field === '') {
    fail(400, 'invalid query parameter', 'sort must name a field, optionally prefixed with "-"', { parameter: 'sort' });
  }
  return items.sort((left, right) => {
    const a = sortValue(left, field);
    const b = sortValue(right, field);
    if (a === undefined && b === undefined) {
      return 0;
    }
    if (a === undefined) {
      return 1;
    }
    if (b === undefined) {
      return -1;
    }
    let order = typeRank(a) - typeRank(b);
    if (order === 0 && typeRank(a) < 2) {
      order = (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
    }
    return descending ? -order : order;
  });
}

/** ListDatastoreItems: `item_key` lookup, `filter`, `sort` and `page[limit]`/`page[offset]` paging. */
export function listItems(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const query = context.query;
  const itemKey = query.get('item_key');
  const filter = query.get('filter');
  if (itemKey !== null && filter !== null) {
    // NOTE: the spec forbids the combination. The status the real server sends for it is not recorded.
    fail(400, 'invalid query parameter', 'item_key and filter cannot be used together', { parameter: 'item_key' });
  }
  const limit = integerParameter(query, 'page[limit]', 1, MAX_BATCH, DEFAULT_PAGE_LIMIT);
  const offset = integerParameter(query, 'page[offset]', 0, Number.MAX_SAFE_INTEGER, 0);

  let matched: readonly ItemRecord[];
  if (itemKey !== null) {
    if (itemKey.length > MAX_KEY_LENGTH) {
      fail(400, 'invalid query parameter', `item_key is longer than ${MAX_KEY_LENGTH} characters`, { parameter: 'item_key' });
    }
    const item = datastore.getItem(itemKey);
    matched = item === undefined ? [] : [item];
  } else if (filter !== null && filter.trim() !== '') {
    let predicate;
    try {
      predicate = compileFilter(filter);
    } catch (error) {
      if (error instanceof FilterSyntaxError) {
        fail(400, 'invalid query parameter', error.message, { parameter: 'filter' });
      }
      throw error;
    }
    matched = datastore.orderedItems().filter((item) => predicate(item.value));
  } else {
    matched = datastore.orderedItems();
  }

  const sort = query.get('sort');
  if (sort !== null) {
    matched = sortItems([...matched], sort);
  }

  const page = matched.slice(offset, offset + limit);
  const primaryKey = datastore.primaryColumnName;
  const fields = [{ name: primaryKey, type: 'STRING' }];
  for (const name of datastore.fieldNames()) {
    if (name !== primaryKey) {
      fields.push({ name, type: 'JSON' });
    }
  }
  return {
    status: 200,
    body: {
      data: page.map((item) => itemResource(datastore, item)),
      meta: {
        page: { totalCount: datastore.size, totalFilteredCount: matched.length, hasMore: offset + page.length < matched.length },
        schema: { primary_key: primaryKey, fields },
      },
    },
  };
}

/**
 * BulkWriteDatastoreItems. Validation is all-or-nothing: any invalid value, conflict or row-limit
 * overflow rejects the whole request and nothing is written.
 */
export function bulkWriteItems(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const data = requireData(context.body, 'items');
  const attributes = requireAttributes(data);
  const values = attributes.values;
  if (!Array.isArray(values)) {
    fail(400, 'missing required field', 'values must be an array of objects', { pointer: '/data/attributes/values' });
  }
  const itemCount = values.length;
  const withCount = (response: ApiResponse): ApiResponse => ({ ...response, itemCount });

  if (values.length === 0) {
    // NOTE: the spec sets no minimum. Rejecting an empty list follows the recorded bulk-delete behaviour.
    throw new HttpError(withCount(singleError(400, 'missing required field', 'at least one item is required', '/data/attributes/values')));
  }
  if (values.length > MAX_BATCH) {
    throw new HttpError(
      withCount(singleError(400, 'too many items', `values contains ${values.length} items, the maximum is ${MAX_BATCH}`, '/data/attributes/values')),
    );
  }

  // NOTE: the default for a missing conflict_mode is not documented. fail_on_conflict is assumed.
  const conflictMode = attributes.conflict_mode ?? 'fail_on_conflict';
  if (conflictMode !== 'fail_on_conflict' && conflictMode !== 'overwrite_on_conflict') {
    throw new HttpError(
      withCount(
        singleError(400, 'invalid request body', 'conflict_mode must be fail_on_conflict or overwrite_on_conflict', '/data/attributes/conflict_mode'),
      ),
    );
  }

  const { keys, prepared, errors } = validateValues(datastore, values, context.settings.errorPointers);
  if (errors.errors.length > 0) {
    throw new HttpError(withCount(jsonApiErrorResponse(400, errors.errors)));
  }

  if (conflictMode === 'fail_on_conflict') {
    const conflicts = findConflicts(datastore, keys, context);
    if (conflicts.errors.length > 0) {
      throw new HttpError(withCount(jsonApiErrorResponse(context.settings.conflictStatus, conflicts.errors)));
    }
  }

  const newKeys = new Set(keys.filter((key) => datastore.getItem(key) === undefined));
  if (datastore.size + newKeys.size > context.settings.maxItemsPerDatastore) {
    // NOTE: the error for a full datastore is not documented. The title and detail are the simulator's own.
    throw new HttpError(
      withCount(
        singleError(
          400,
          'datastore row limit exceeded',
          `datastore holds ${datastore.size} items, ${newKeys.size} new items would exceed the limit of ${context.settings.maxItemsPerDatastore}`,
          '/data/attributes/values',
        ),
      ),
    );
  }

  const written = prepared.map((value, index) => datastore.putItem(keys[index], value));
  context.countItemsWritten(written.length);
  return { status: 200, itemCount, body: { data: written.map((item) => ({ id: item.id, type: 'items' })) } };
}

function singleError(status: number, title: string, detail: string, pointer: string): ApiResponse {
  return jsonApiErrorResponse(status, [jsonApiError(status, title, detail, { pointer })]);
}

/** Checks every value and returns the keys and values to write, or the collected errors. */
function validateValues(
  datastore: Datastore,
  values: unknown[],
  withPointers: boolean,
): { keys: string[]; prepared: JsonObject[]; errors: ItemErrorCollector } {
  const column = datastore.primaryColumnName;
  const errors = new ItemErrorCollector(400, withPointers);
  const keys: string[] = [];
  const prepared: JsonObject[] = [];

  values.forEach((raw, index) => {
    if (!isObject(raw)) {
      errors.add('invalid item', `item ${index} must be a JSON object`, index);
      return;
    }
    let value = raw;
    let key = value[column];
    if (key === undefined && datastore.strategy === 'uuid') {
      key = randomUUID();
      value = { ...value, [column]: key };
    } else if (key === undefined) {
      errors.add('item key missing or invalid', `primary column "${column}" is missing`, index, column);
      return;
    } else if (typeof key !== 'string' || key === '') {
      errors.add('item key missing or invalid', `primary column "${column}" must be a non-empty string`, index, column);
      return;
    } else if (key.length > MAX_KEY_LENGTH) {
      errors.add(
        'item key missing or invalid',
        `primary column "${column}" is ${key.length} characters long, the maximum is ${MAX_KEY_LENGTH}`,
        index,
        column,
      );
      return;
    } else if (datastore.strategy === 'uuid' && datastore.getItem(key) === undefined) {
      // NOTE: Datadog documents that callers cannot choose keys for new items under the uuid
      // strategy. How the server reports it is not recorded.
      errors.add(
        'item key missing or invalid',
        `datastore generates keys (strategy "uuid"), so new item "${key}" must not set primary column "${column}"`,
        index,
        column,
      );
      return;
    }
    if (checkItemShape(value, index, errors)) {
      keys.push(key as string);
      prepared.push(value);
    }
  });
  return { keys, prepared, errors };
}

/** Reports each key that exists already or repeats an earlier key of the same request. */
function findConflicts(datastore: Datastore, keys: string[], context: OperationContext): ItemErrorCollector {
  const column = datastore.primaryColumnName;
  const conflicts = new ItemErrorCollector(context.settings.conflictStatus, context.settings.errorPointers);
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    if (datastore.getItem(key) !== undefined) {
      conflicts.add('item already exists', `an item with key "${key}" already exists in the datastore`, index, column);
    } else if (seen.has(key)) {
      conflicts.add('item already exists', `key "${key}" appears more than once in the request`, index, column);
    }
    seen.add(key);
  });
  return conflicts;
}

/** UpdateDatastoreItem: `ops_set` sets top-level fields. The primary key cannot change. */
export function updateItem(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const data = requireData(context.body, 'items');
  const attributes = requireAttributes(data);
  const key = requireItemKey(attributes.item_key, '/data/attributes/item_key');
  if (!isObject(attributes.item_changes)) {
    fail(400, 'missing required field', 'item_changes must be an object', { pointer: '/data/attributes/item_changes' });
  }
  const opsSet = attributes.item_changes.ops_set ?? {};
  if (!isObject(opsSet)) {
    fail(400, 'invalid request body', 'ops_set must be an object', { pointer: '/data/attributes/item_changes/ops_set' });
  }

  const item = datastore.getItem(key);
  if (item === undefined) {
    // NOTE: the status for an unknown item key is not recorded. 404 is assumed.
    fail(404, 'item not found', `no item with key "${key}" in datastore ${datastore.id}`, { pointer: '/data/attributes/item_key' });
  }
  const column = datastore.primaryColumnName;
  if (Object.prototype.hasOwnProperty.call(opsSet, column) && opsSet[column] !== key) {
    fail(400, 'item key missing or invalid', `primary column "${column}" cannot be changed`, {
      pointer: `/data/attributes/item_changes/ops_set/${column}`,
    });
  }
  for (const field of Object.keys(opsSet)) {
    if (field.length > MAX_FIELD_NAME_LENGTH) {
      fail(400, 'invalid item', `field name is ${field.length} characters long, the maximum is ${MAX_FIELD_NAME_LENGTH}`, {
        pointer: '/data/attributes/item_changes/ops_set',
      });
    }
  }
  const value = { ...item.value, ...opsSet };
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_ITEM_BYTES) {
    fail(400, 'item too large', `updated item is ${bytes} bytes as JSON, the maximum is ${MAX_ITEM_BYTES}`, {
      pointer: '/data/attributes/item_changes/ops_set',
    });
  }
  const updated = datastore.putItem(key, value);
  context.countItemsWritten(1);
  return { status: 200, body: { data: itemResource(datastore, updated) } };
}

/** DeleteDatastoreItem: the key travels in the JSON body of the DELETE. */
export function deleteItem(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const data = requireData(context.body, 'items');
  const attributes = requireAttributes(data);
  const key = requireItemKey(attributes.item_key, '/data/attributes/item_key');
  const item = datastore.deleteItem(key);
  if (item === undefined) {
    // NOTE: the status for an unknown item key is not recorded. 404 is assumed.
    fail(404, 'item not found', `no item with key "${key}" in datastore ${datastore.id}`, { pointer: '/data/attributes/item_key' });
  }
  return { status: 200, body: { data: { id: item.id, type: 'items' } } };
}

/** BulkDeleteDatastoreItems. Unknown keys are skipped and left out of `data`. */
export function bulkDeleteItems(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const data = requireData(context.body, 'items');
  const attributes = requireAttributes(data);
  const keys = attributes.item_keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    fail(400, 'missing required field', 'at least one item key is required', { pointer: '/data/attributes/item_keys' });
  }
  if (keys.length > MAX_BATCH) {
    throw new HttpError({
      ...singleError(400, 'too many items', `item_keys contains ${keys.length} keys, the maximum is ${MAX_BATCH}`, '/data/attributes/item_keys'),
      itemCount: keys.length,
    });
  }
  keys.forEach((key, index) => {
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
      fail(400, 'item key missing or invalid', `item key ${index} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`, {
        pointer: `/data/attributes/item_keys/${index}`,
      });
    }
  });
  // NOTE: skipping unknown keys is assumed. The real behaviour is not recorded.
  const deleted: unknown[] = [];
  for (const key of keys as string[]) {
    const item = datastore.deleteItem(key);
    if (item !== undefined) {
      deleted.push({ id: item.id, type: 'items' });
    }
  }
  return { status: 200, itemCount: keys.length, body: { data: deleted } };
}
