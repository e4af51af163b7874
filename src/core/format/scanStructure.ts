import { CLOSE_BRACE, CLOSE_BRACKET, COMMA, createScanner, EOF, NUMBER, OPEN_BRACE, OPEN_BRACKET, STRING } from './jsonc';
import type { TextSpan } from './model';
import { runSteps } from './steps';

/** Tokens scanned between two yields of the generator: about 20 to 50 ms of work. */
const TOKENS_PER_STEP = 200_000;

/** Objects with more keys than this switch from a linear key search to a Map. */
const LINEAR_KEY_LIMIT = 24;

/** A property name that occurs twice in one object. JSON.parse keeps only the last value. */
export interface DuplicateProperty {
  readonly name: string;
  readonly span: TextSpan;
  readonly firstSpan: TextSpan;
  readonly itemIndex?: number;
}

/** An integer literal that a JavaScript number cannot hold exactly (beyond ±2^53 - 1). */
export interface UnsafeInteger {
  readonly literal: string;
  readonly span: TextSpan;
  readonly itemIndex?: number;
}

export interface StructureScan {
  /** Spans of the elements of the items array, in order. Empty when the array was not found. */
  readonly itemSpans: TextSpan[];
  /** Span of the items array itself. */
  readonly itemsSpan?: TextSpan;
  readonly duplicateProperties: DuplicateProperty[];
  readonly unsafeIntegers: UnsafeInteger[];
}

/**
 * Scans the tokens of a JSON text once, without recursion, and records where each element
 * of the array at `itemsPath` starts and ends, duplicate property names and unsafe integers.
 * The text must be JSON that JSON.parse accepts, possibly with comments and trailing commas.
 * The generator yields every TOKENS_PER_STEP tokens so a caller can give the event loop a turn.
 * When a property name occurs twice on the items path, the last array wins, as in JSON.parse.
 */
export function* scanStructure(text: string, itemsPath: readonly string[]): Generator<void, StructureScan> {
  const scanner = createScanner(text, true);
  const itemSpans: TextSpan[] = [];
  let itemsSpan: TextSpan | undefined;
  const duplicateProperties: DuplicateProperty[] = [];
  const unsafeIntegers: UnsafeInteger[] = [];

  // One entry per open container; index 0 is the root value.
  const isObject: boolean[] = [];
  const onItemsPath: boolean[] = [];
  const keyNames: string[][] = [];
  const keyOffsets: number[][] = [];
  const keyMaps: (Map<string, number> | undefined)[] = [];
  let depth = -1;
  let pendingKey: string | undefined;
  let previous = 0;

  // Depth of the items array while it is open, else -1.
  let itemsDepth = -1;
  let itemStart = -1;

  let tokensInStep = 0;
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (++tokensInStep >= TOKENS_PER_STEP) {
      tokensInStep = 0;
      yield;
    }
    const offset = scanner.getTokenOffset();
    const currentItem = itemsDepth >= 0 && depth > itemsDepth ? itemSpans.length : undefined;

    if (token === STRING && depth >= 0 && isObject[depth] && (previous === OPEN_BRACE || previous === COMMA)) {
      const name = scanner.getTokenValue();
      const length = scanner.getTokenLength();
      const firstOffset = findKey(name, keyNames[depth], keyOffsets[depth], keyMaps, depth);
      if (firstOffset !== undefined) {
        duplicateProperties.push({
          name,
          span: { offset, length },
          firstSpan: tokenSpanAt(text, firstOffset),
          itemIndex: currentItem,
        });
      }
      addKey(name, offset, keyNames[depth], keyOffsets[depth], keyMaps, depth);
      pendingKey = name;
      previous = token;
      continue;
    }

    if (token === OPEN_BRACE || token === OPEN_BRACKET || token === STRING || token === NUMBER || (token >= 7 && token <= 9)) {
      // A value starts here.
      if (itemsDepth >= 0 && depth === itemsDepth) {
        itemStart = offset;
      }
      if (token === OPEN_BRACE || token === OPEN_BRACKET) {
        const parentOnPath = depth < 0 || onItemsPath[depth];
        const onPath =
          depth < 0
            ? true
            : parentOnPath && isObject[depth] && depth < itemsPath.length && pendingKey === itemsPath[depth];
        depth++;
        isObject[depth] = token === OPEN_BRACE;
        onItemsPath[depth] = onPath;
        if (keyNames[depth] === undefined) {
          keyNames[depth] = [];
          keyOffsets[depth] = [];
        } else {
          keyNames[depth].length = 0;
          keyOffsets[depth].length = 0;
        }
        keyMaps[depth] = undefined;
        if (onPath && token === OPEN_BRACKET && depth === itemsPath.length) {
          itemsDepth = depth;
          itemSpans.length = 0;
          itemsSpan = { offset, length: 0 };
        }
      } else {
        if (token === NUMBER) {
          checkInteger(scanner.getTokenValue(), offset, scanner.getTokenLength(), currentItem, unsafeIntegers);
        }
        if (itemsDepth >= 0 && depth === itemsDepth) {
          itemSpans.push({ offset, length: scanner.getTokenLength() });
        }
      }
      pendingKey = undefined;
      previous = token;
      continue;
    }

    if (token === CLOSE_BRACE || token === CLOSE_BRACKET) {
      const end = offset + 1;
      if (depth === itemsDepth) {
        itemsSpan = { offset: itemsSpan?.offset ?? 0, length: end - (itemsSpan?.offset ?? 0) };
        itemsDepth = -1;
      }
      depth--;
      if (itemsDepth >= 0 && depth === itemsDepth) {
        itemSpans.push({ offset: itemStart, length: end - itemStart });
      }
    }
    previous = token;
  }

  return { itemSpans, itemsSpan, duplicateProperties, unsafeIntegers };
}

/** Rescans one token; used only for the rare duplicate, so key lengths need not be stored. */
function tokenSpanAt(text: string, offset: number): TextSpan {
  const scanner = createScanner(text, true);
  scanner.setPosition(offset);
  scanner.scan();
  return { offset, length: scanner.getTokenLength() };
}

function findKey(
  name: string,
  names: string[],
  offsets: number[],
  maps: (Map<string, number> | undefined)[],
  depth: number,
): number | undefined {
  const map = maps[depth];
  if (map !== undefined) {
    return map.get(name);
  }
  const index = names.indexOf(name);
  return index >= 0 ? offsets[index] : undefined;
}

function addKey(
  name: string,
  offset: number,
  names: string[],
  offsets: number[],
  maps: (Map<string, number> | undefined)[],
  depth: number,
): void {
  let map = maps[depth];
  if (map === undefined && names.length < LINEAR_KEY_LIMIT) {
    names.push(name);
    offsets.push(offset);
    return;
  }
  if (map === undefined) {
    map = new Map();
    for (let i = 0; i < names.length; i++) {
      if (!map.has(names[i])) {
        map.set(names[i], offsets[i]);
      }
    }
    maps[depth] = map;
  }
  if (!map.has(name)) {
    map.set(name, offset);
  }
}

const INTEGER_LITERAL = /^-?\d+$/;

function checkInteger(
  literal: string,
  offset: number,
  length: number,
  itemIndex: number | undefined,
  found: UnsafeInteger[],
): void {
  // Integers of up to 15 digits are below 2^53 (about 9.007e15), so most literals stop at the length test.
  if (literal.length < 16 || !INTEGER_LITERAL.test(literal)) {
    return;
  }
  if (!Number.isSafeInteger(Number(literal))) {
    found.push({ literal, span: { offset, length }, itemIndex });
  }
}

/** A structure scan that runs on first use, so files without problems never pay for it. */
export class LazyStructure {
  private result: StructureScan | undefined;

  constructor(
    private readonly text: string,
    private readonly itemsPath: readonly string[],
  ) {}

  /** Runs the scan unless it already ran, yielding between chunks. */
  *scanSteps(): Generator<void, StructureScan> {
    if (this.result === undefined) {
      this.result = yield* scanStructure(this.text, this.itemsPath);
    }
    return this.result;
  }

  /** Returns the scan, running it at once on first use. */
  get(): StructureScan {
    return this.result ?? runSteps(this.scanSteps());
  }
}

const SPACED_KEY_END = /"[ \t\r\n]+:/g;

/**
 * Tells whether a strict JSON text may contain a duplicate property name or an unsafe
 * integer, the two findings that need the token scan. Every property name in the text ends
 * with `"`, optional whitespace and `:`, so when the text has exactly as many such matches as
 * the parsed value has keys, no name can occur twice in one object. Matches inside string
 * values only raise the count and lead to a scan, never to a missed duplicate.
 */
export function mayNeedStructureScan(text: string, root: unknown): boolean {
  let keys = 0;
  // A for...in loop and one reused stack allocate nothing per object, which keeps the
  // garbage collector out of this walk over every value of the file.
  const stack: unknown[] = [root];
  let size = 1;
  while (size > 0) {
    const value = stack[--size];
    if (typeof value === 'number') {
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return true;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) {
      continue;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        stack[size++] = value[index];
      }
      continue;
    }
    for (const name in value) {
      keys++;
      stack[size++] = (value as Record<string, unknown>)[name];
    }
  }

  // Counted in two parts, because indexOf is several times faster than a regular expression
  // and whitespace between a name and its colon is rare.
  let keyEnds = 0;
  for (let index = text.indexOf('":'); index >= 0; index = text.indexOf('":', index + 2)) {
    keyEnds++;
  }
  SPACED_KEY_END.lastIndex = 0;
  while (SPACED_KEY_END.exec(text) !== null) {
    keyEnds++;
  }
  return keyEnds !== keys;
}
