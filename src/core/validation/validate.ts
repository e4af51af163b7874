import { isObject, parseSteps, type ParseResult } from '../format/parseDocument';
import { itemsPathOf, locateInItem, locatePath } from '../format/locate';
import type { DdstoreDocument, ItemEntry, TextSpan } from '../format/model';
import { runSteps, runStepsAsync } from '../format/steps';
import type { DdstoreDiagnostic } from './diagnostic';
import { validateFile, validateItem } from './generated/schemaValidator';
import { fileSchemaDiagnostics, itemSchemaDiagnostics } from './schemaDiagnostics';

export interface ValidateOptions {
  /** The datastore's primary column name; takes precedence over the file's `primaryKey`. */
  readonly primaryKey?: string;
  /** Maximum number of items in one file; 100,000 by default, the rows one datastore holds. */
  readonly maxItems?: number;
}

/** Rows one datastore holds, per Datadog's documented limits (raised from 5,000 in 2026-07). */
export const DEFAULT_MAX_ITEMS = 100_000;
/** Maximum length of an item key, in characters (the API's `item_key` maxLength). */
export const MAX_KEY_LENGTH = 256;
/**
 * Maximum size of one item, as UTF-8 bytes of its compact JSON.
 * NOTE: Datadog documents "100 KB" per row without saying whether KB means 1,000 or 1,024
 * bytes; 1,024 is assumed here.
 */
export const MAX_ITEM_BYTES = 100 * 1024;
/**
 * Maximum nesting of objects and arrays in one item, the item itself being level 1.
 * NOTE: Datadog documents no depth limit. This is ddstore's own limit: JSON.stringify and the
 * read-back comparison recurse once per level, and on Node 20 they overflow the stack at
 * about 2,300 levels with the default stack and at about 970 with --stack-size=400 (measured
 * with a binary search over nested objects). 512 leaves room for the frames of the caller.
 */
export const MAX_ITEM_DEPTH = 512;
/** Maximum length of the primary column name (PostgreSQL identifier limit). */
export const MAX_COLUMN_NAME_LENGTH = 63;
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Items checked between two yields of validateDdstoreTextAsync. */
const ITEMS_PER_STEP = 5_000;
/** At most this many other items are listed as related locations of a duplicate key. */
const MAX_RELATED = 10;

/**
 * Validates the text of a `.ddstore.json` file against the JSON Schema and the limits the
 * Datastores API enforces. Messages number items from 1, as the Writes view and the CLI's
 * push output do, while `itemIndex` stays the zero-based array index of the API's JSON Pointers.
 */
export function validateDdstoreText(text: string, options: ValidateOptions = {}): ParseResult {
  return runSteps(validateSteps(text, options));
}

/**
 * Validates like validateDdstoreText, giving the event loop a turn between chunks.
 * NOTE: JSON.parse of the whole text runs in one piece (about 0.1 to 0.2 s for 20 MB on a
 * 2-core AMD EPYC, test/bench/validation.ts). When an item has a problem and the token scan
 * has not run yet, finding its span runs that scan in one piece too (about 0.3 s for 20 MB).
 * Rejects with the signal's reason (an AbortError) once `signal` aborts.
 */
export function validateDdstoreTextAsync(
  text: string,
  options: ValidateOptions = {},
  signal?: AbortSignal,
): Promise<ParseResult> {
  return runStepsAsync(validateSteps(text, options), signal);
}

function* validateSteps(text: string, options: ValidateOptions): Generator<void, ParseResult> {
  const parsed = yield* parseSteps(text);
  const { document } = parsed;
  const diagnostics = [...parsed.diagnostics];
  if (document === undefined) {
    return { diagnostics };
  }

  // The file-level schema runs on a copy without items; each item is validated on its own
  // below, so the work can be split into chunks.
  if (!validateFile(withoutItems(parsed.root, parsed.itemsValue, document))) {
    diagnostics.push(...fileSchemaDiagnostics(text, document, parsed.root, validateFile.errors ?? []));
  }

  diagnostics.push(...countDiagnostics(document, options.maxItems ?? DEFAULT_MAX_ITEMS));
  const key = primaryKeyOf(text, document, options, diagnostics, Array.isArray(parsed.itemsValue));
  const checker = new ItemChecker(text, document, key);
  for (const item of document.items) {
    checker.check(item, diagnostics);
    if ((item.index + 1) % ITEMS_PER_STEP === 0) {
      yield;
    }
  }
  diagnostics.push(...checker.duplicateKeyDiagnostics());
  return { document, diagnostics: sortBySpan(diagnostics) };
}

/** Returns a shallow copy of the root whose items array is empty, or the root itself. */
function withoutItems(root: unknown, itemsValue: unknown, document: DdstoreDocument): unknown {
  if (!Array.isArray(itemsValue)) {
    return root;
  }
  const path = itemsPathOf(document.layout);
  if (path.length === 0) {
    return [];
  }
  const copy = (value: unknown, depth: number): unknown => {
    if (!isObject(value)) {
      return value;
    }
    const segment = path[depth];
    return { ...value, [segment]: depth === path.length - 1 ? [] : copy(value[segment], depth + 1) };
  };
  return copy(root, 0);
}

function countDiagnostics(document: DdstoreDocument, maxItems: number): DdstoreDiagnostic[] {
  const count = document.items.length;
  if (count <= maxItems) {
    return [];
  }
  const first = document.items[maxItems];
  return [
    {
      code: 'too-many-items',
      severity: 'error',
      message:
        `The file has ${count.toLocaleString('en-US')} items, but a datastore holds at most ` +
        `${maxItems.toLocaleString('en-US')}. Split the file or remove ${(count - maxItems).toLocaleString('en-US')} items; ` +
        `item ${maxItems + 1} is the first one over the limit.`,
      span: openingOf(first.span),
      itemIndex: first.index,
    },
  ];
}

/** Decides which primary key to check, reporting a missing, invalid or conflicting one. */
function primaryKeyOf(
  text: string,
  document: DdstoreDocument,
  options: ValidateOptions,
  diagnostics: DdstoreDiagnostic[],
  hasItems: boolean,
): string | undefined {
  const fileKey = document.primaryKey;
  const key = options.primaryKey ?? fileKey;
  const fileKeySpan = (): TextSpan =>
    locateValue(text, document, ['primaryKey']) ?? document.itemsSpan ?? { offset: 0, length: 0 };

  if (key === undefined) {
    if (!hasItems) {
      // A file without an items array has a schema error already; a note on keys adds nothing.
      return undefined;
    }
    const fix =
      document.layout === 'ddstore'
        ? 'Add "primaryKey": "id" (your datastore\'s primary column) to the file or pass --primary-key.'
        : 'Pass the primary column with --primary-key, or use the {"primaryKey": ..., "items": [...]} layout.';
    diagnostics.push({
      code: 'primary-key-unknown',
      severity: 'information',
      message: `The primary key column is not known, so item keys are not checked. ${fix}`,
      span: openingOf(document.itemsSpan ?? { offset: 0, length: 0 }),
    });
    return undefined;
  }

  if (options.primaryKey !== undefined && fileKey !== undefined && fileKey !== options.primaryKey) {
    diagnostics.push({
      code: 'primary-key-mismatch',
      severity: 'warning',
      message: `The file names the primary key "${fileKey}", but the datastore's primary column is "${options.primaryKey}". Items are checked against "${options.primaryKey}"; change "primaryKey" to match.`,
      span: fileKeySpan(),
    });
  }

  if (!COLUMN_NAME.test(key) || key.length > MAX_COLUMN_NAME_LENGTH) {
    const reason = key.length > MAX_COLUMN_NAME_LENGTH
      ? `it has ${key.length} characters, more than ${MAX_COLUMN_NAME_LENGTH}`
      : 'it must start with a letter or an underscore and contain only letters, digits and underscores';
    diagnostics.push({
      code: 'invalid-primary-column',
      severity: 'error',
      message: `The primary column name "${key}" is invalid: ${reason}. Use a name such as "id" or "customer_id".`,
      span: options.primaryKey === undefined ? fileKeySpan() : { offset: 0, length: 0 },
    });
    return undefined;
  }
  return key;
}

function locateValue(text: string, document: DdstoreDocument, path: readonly string[]): TextSpan | undefined {
  if (document.layout !== 'ddstore') {
    return undefined;
  }
  return locatePath(text, 0, path, document.itemsSpan).value;
}

/** Span of the first character of a value: the opening brace of an object item. */
function openingOf(span: TextSpan): TextSpan {
  return { offset: span.offset, length: Math.min(1, span.length) };
}

/** Checks the rules the API enforces on each item and collects keys for the uniqueness check. */
class ItemChecker {
  private readonly firstIndexOfKey = new Map<string, number>();
  private readonly duplicates = new Map<string, number[]>();

  constructor(
    private readonly text: string,
    private readonly document: DdstoreDocument,
    private readonly key: string | undefined,
  ) {}

  check(item: ItemEntry, diagnostics: DdstoreDiagnostic[]): void {
    const value = item.value;
    if (!validateItem(value)) {
      diagnostics.push(...itemSchemaDiagnostics(this.text, this.document, item.index, value, validateItem.errors ?? []));
    }
    if (!isObject(value)) {
      return;
    }
    if (nestingExceeds(value, MAX_ITEM_DEPTH)) {
      diagnostics.push({
        code: 'item-too-deep',
        severity: 'error',
        message: `Item ${item.index + 1} nests objects or arrays more than ${MAX_ITEM_DEPTH} levels deep, more than ddstore can send. Flatten it, for example by storing the deep part as a JSON string.`,
        span: openingOf(item.span),
        itemIndex: item.index,
      });
      return;
    }
    this.checkSize(item, diagnostics);
    if (this.key !== undefined) {
      this.checkKey(item, value, this.key, diagnostics);
    }
  }

  private checkSize(item: ItemEntry, diagnostics: DdstoreDiagnostic[]): void {
    if (serializedSizeBound(item.value, MAX_ITEM_BYTES) <= MAX_ITEM_BYTES) {
      return;
    }
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(item.value), 'utf8');
    } catch (error) {
      if (!(error instanceof RangeError)) {
        throw error;
      }
      // JSON.stringify recurses and overflows the stack on very deep values; the source size
      // is the closest estimate then.
      bytes = Buffer.byteLength(this.text.slice(item.span.offset, item.span.offset + item.span.length), 'utf8');
    }
    if (bytes > MAX_ITEM_BYTES) {
      diagnostics.push({
        code: 'item-too-large',
        severity: 'error',
        message: `Item ${item.index + 1} is ${bytes.toLocaleString('en-US')} bytes as JSON, more than the ${MAX_ITEM_BYTES.toLocaleString('en-US')} bytes (100 KB) one item may have. Make its values smaller or split it.`,
        span: openingOf(item.span),
        itemIndex: item.index,
      });
    }
  }

  private checkKey(item: ItemEntry, value: Record<string, unknown>, key: string, diagnostics: DdstoreDiagnostic[]): void {
    const index = item.index;
    const number = index + 1;
    if (!Object.hasOwn(value, key)) {
      diagnostics.push({
        code: 'missing-primary-key',
        severity: 'error',
        message: `Item ${number} has no primary key "${key}". Add "${key}": "<unique string>" to the item.`,
        span: openingOf(item.span),
        itemIndex: index,
      });
      return;
    }
    const keyValue = value[key];
    if (typeof keyValue !== 'string') {
      const suggestion =
        typeof keyValue === 'number' || typeof keyValue === 'boolean'
          ? `Write it as a string: "${key}": "${String(keyValue)}".`
          : `Use a string such as "${key}": "key-${number}".`;
      diagnostics.push({
        code: 'primary-key-not-string',
        severity: 'error',
        message: `Item ${number} has ${describeKeyValue(keyValue)} as its primary key "${key}", but keys must be strings. ${suggestion}`,
        span: this.valueSpan(index, key, item),
        itemIndex: index,
      });
      return;
    }
    if (keyValue.length === 0) {
      // NOTE: whether the API accepts an empty key is not documented; an error is the safe guess.
      diagnostics.push({
        code: 'empty-primary-key',
        severity: 'error',
        message: `Item ${number} has an empty primary key "${key}". Set "${key}" to a unique non-empty string.`,
        span: this.valueSpan(index, key, item),
        itemIndex: index,
      });
      return;
    }
    if (keyValue.length > MAX_KEY_LENGTH && [...keyValue].length > MAX_KEY_LENGTH) {
      diagnostics.push({
        code: 'primary-key-too-long',
        severity: 'error',
        message: `Item ${number} has a primary key of ${[...keyValue].length} characters ("${keyValue.slice(0, 40)}..."); keys are at most ${MAX_KEY_LENGTH} characters. Shorten it.`,
        span: this.valueSpan(index, key, item),
        itemIndex: index,
      });
    }
    const first = this.firstIndexOfKey.get(keyValue);
    if (first === undefined) {
      this.firstIndexOfKey.set(keyValue, index);
      return;
    }
    const indexes = this.duplicates.get(keyValue);
    if (indexes === undefined) {
      this.duplicates.set(keyValue, [first, index]);
    } else {
      indexes.push(index);
    }
  }

  /** Reports every item of each duplicate key, each pointing at the others in `related`. */
  duplicateKeyDiagnostics(): DdstoreDiagnostic[] {
    const diagnostics: DdstoreDiagnostic[] = [];
    if (this.key === undefined) {
      return diagnostics;
    }
    const key = this.key;
    for (const [keyValue, indexes] of this.duplicates) {
      const spans = indexes.map((index) => this.valueSpan(index, key, this.document.items[index]));
      indexes.forEach((index, position) => {
        const others = indexes.filter((other) => other !== index);
        const listed = others.slice(0, MAX_RELATED);
        diagnostics.push({
          code: 'duplicate-key',
          severity: 'error',
          message: `Item ${index + 1} has the same primary key "${keyValue}" as item ${listed.map((other) => other + 1).join(', item ')}${others.length > listed.length ? ` and ${others.length - listed.length} more` : ''}. Keys must be unique within the file; change or remove one of them.`,
          span: spans[position],
          itemIndex: index,
          related: indexes
            .map((other, otherPosition) => ({ other, span: spans[otherPosition] }))
            .filter(({ other }) => other !== index)
            .slice(0, MAX_RELATED)
            .map(({ other, span }) => ({ message: `Item ${other + 1} has the same key "${keyValue}".`, span })),
        });
      });
    }
    return diagnostics;
  }

  /** Span of the key's value in an item, else of its property name, else of the item. */
  private valueSpan(index: number, key: string, item: ItemEntry | undefined): TextSpan {
    if (item === undefined) {
      return locateInItem(this.text, this.document, index, [key]);
    }
    const location = locatePath(this.text, item.span.offset, [key]);
    return location.value ?? location.name ?? item.span;
  }
}

/**
 * Returns an upper bound of the UTF-8 size of JSON.stringify(value), or any number above
 * `limit` once the bound passes it. It walks the value without recursion and without
 * serializing, so the exact size is computed only for the rare large item. A UTF-16 code unit
 * takes at most 6 bytes in JSON (a \u escape), and a number at most 24 characters.
 */
function serializedSizeBound(value: unknown, limit: number): number {
  let bound = 0;
  const stack: unknown[] = [value];
  let size = 1;
  while (size > 0 && bound <= limit) {
    const current = stack[--size];
    if (typeof current === 'string') {
      bound += 2 + current.length * 6;
    } else if (typeof current === 'number') {
      bound += 24;
    } else if (Array.isArray(current)) {
      bound += 2 + current.length;
      for (let index = 0; index < current.length; index++) {
        stack[size++] = current[index];
      }
    } else if (typeof current === 'object' && current !== null) {
      bound += 2;
      // for...in allocates no array of names, unlike Object.keys.
      for (const name in current) {
        // Inherited names, possible only where jsonc-parser turned "__proto__" into a
        // prototype, only raise the bound.
        bound += 4 + name.length * 6;
        stack[size++] = (current as Record<string, unknown>)[name];
      }
    } else {
      bound += 5;
    }
  }
  return bound;
}

/** Tells whether objects and arrays nest more than `maxDepth` levels in `value`; walks without recursion. */
function nestingExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const current = stack.pop() as { value: unknown; depth: number };
    if (typeof current.value !== 'object' || current.value === null) {
      continue;
    }
    if (current.depth > maxDepth) {
      return true;
    }
    const children = Array.isArray(current.value) ? current.value : Object.values(current.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth: current.depth + 1 });
      }
    }
  }
  return false;
}

function describeKeyValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `the ${typeof value} ${String(value)}`;
}

function sortBySpan(diagnostics: DdstoreDiagnostic[]): DdstoreDiagnostic[] {
  return diagnostics.sort((a, b) => a.span.offset - b.span.offset);
}
