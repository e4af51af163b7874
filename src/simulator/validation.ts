import { escapePointerToken, fail, type JsonApiError, jsonApiError } from './errors';

/** Maximum length of a primary-key value or `item_key`. */
export const MAX_KEY_LENGTH = 256;
/** Maximum length of a column name, the PostgreSQL identifier limit. */
export const MAX_FIELD_NAME_LENGTH = 63;
/** Maximum JSON size of one item in bytes. NOTE: Datadog documents "100 KB"; 1 KB = 1024 bytes is assumed. */
export const MAX_ITEM_BYTES = 100 * 1024;
/** Maximum entries in `values`, `item_keys` and `page[limit]`. */
export const MAX_BATCH = 100;

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Returns `body.data` after checking that it is an object whose `type` is `type`. */
export function requireData(body: unknown, type: 'datastores' | 'items'): JsonObject {
  if (!isObject(body) || !isObject(body.data)) {
    fail(400, 'missing required field', 'request body must contain a "data" object', { pointer: '/data' });
  }
  const data = body.data;
  if (data.type !== type) {
    // NOTE: the real server's response to a missing or wrong `type` is not recorded.
    fail(400, 'invalid request body', `"data.type" must be "${type}"`, { pointer: '/data/type' });
  }
  return data;
}

/** Returns `data.attributes`, or `{}` when `optional` and absent. */
export function requireAttributes(data: JsonObject, optional = false): JsonObject {
  if (data.attributes === undefined && optional) {
    return {};
  }
  if (!isObject(data.attributes)) {
    fail(400, 'missing required field', '"data.attributes" must be an object', { pointer: '/data/attributes' });
  }
  return data.attributes;
}

/** Checks an `item_key` attribute: a non-empty string of at most 256 characters. */
export function requireItemKey(value: unknown, pointer: string): string {
  if (typeof value !== 'string' || value === '') {
    fail(400, 'missing required field', 'item_key must be a non-empty string', { pointer });
  }
  if (value.length > MAX_KEY_LENGTH) {
    fail(400, 'item key missing or invalid', `item key is ${value.length} characters long, the maximum is ${MAX_KEY_LENGTH}`, { pointer });
  }
  return value;
}

/**
 * Checks a column name against the PostgreSQL identifier rules. Returns the error detail, or
 * `undefined` when the name is valid. Only the "does not start" wording is recorded from Datadog.
 */
export function columnNameProblem(name: string): string | undefined {
  if (name === '') {
    return 'column name must not be empty';
  }
  if (name.length > MAX_FIELD_NAME_LENGTH) {
    return `column name '${name}' is longer than ${MAX_FIELD_NAME_LENGTH} characters`;
  }
  if (!/^[\p{L}_]/u.test(name)) {
    return `column name '${name}' does not start with a letter or an underscore`;
  }
  if (!/^[\p{L}_][\p{L}\p{N}_$]*$/u.test(name)) {
    return `column name '${name}' may contain only letters, digits, underscores and dollar signs`;
  }
  return undefined;
}

/** Builds item errors with or without a `source.pointer`, following the `errorPointers` option. */
export class ItemErrorCollector {
  readonly errors: JsonApiError[] = [];

  constructor(
    private readonly status: number,
    private readonly withPointers: boolean,
  ) {}

  add(title: string, detail: string, index: number, field?: string): void {
    let pointer = `/data/attributes/values/${index}`;
    if (field !== undefined) {
      pointer += `/${escapePointerToken(field)}`;
    }
    this.errors.push(jsonApiError(this.status, title, detail, this.withPointers ? { pointer } : undefined));
  }
}

/**
 * Checks the field names and JSON size of one item value and reports problems to `errors`.
 * Returns whether the value passed.
 */
export function checkItemShape(value: JsonObject, index: number, errors: ItemErrorCollector): boolean {
  let valid = true;
  for (const field of Object.keys(value)) {
    if (field.length > MAX_FIELD_NAME_LENGTH) {
      errors.add(
        'invalid item',
        `field name "${field.slice(0, 20)}…" is ${field.length} characters long, the maximum is ${MAX_FIELD_NAME_LENGTH}`,
        index,
        field,
      );
      valid = false;
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_ITEM_BYTES) {
    errors.add('item too large', `item is ${bytes} bytes as JSON, the maximum is ${MAX_ITEM_BYTES}`, index);
    valid = false;
  }
  return valid;
}
