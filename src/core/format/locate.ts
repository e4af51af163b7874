import { CLOSE_BRACE, CLOSE_BRACKET, COMMA, createScanner, EOF, NULL_KEYWORD, NUMBER, OPEN_BRACE, OPEN_BRACKET } from './jsonc';
import type { DdstoreDocument, DocumentLayout, TextSpan } from './model';


/** Location of a JSON path in a text: the property name and the value, or the deepest value found. */
export interface PathLocation {
  /** Span of the property name, when the path ends at an object property that exists. */
  readonly name?: TextSpan;
  /** Span of the value, when the whole path exists. */
  readonly value?: TextSpan;
  /** Span of the deepest value on the path that exists, when the whole path does not. */
  readonly deepest?: TextSpan;
}

/** Returns the path from the root of the file to its items array for a layout. */
export function itemsPathOf(layout: DocumentLayout): readonly string[] {
  switch (layout) {
    case 'array':
      return [];
    case 'request':
      return ['data', 'attributes', 'values'];
    case 'ddstore':
      return ['items'];
  }
}

/**
 * Finds the value at `path` inside the JSON value that starts at `start`, by scanning tokens
 * without recursion, so deeply nested values cannot overflow the stack. An unrelated
 * container that begins at `skip.offset` is jumped over without scanning it.
 * When a property name occurs twice, the first one is returned.
 */
export function locatePath(text: string, start: number, path: readonly (string | number)[], skip?: TextSpan): PathLocation {
  const scanner = createScanner(text, true);
  scanner.setPosition(start === 0 && text.charCodeAt(0) === 0xfeff ? 1 : start);

  const isObject: boolean[] = [];
  const matched: boolean[] = [];
  const nextIndex: number[] = [];
  const startOffset: number[] = [];
  let depth = -1;
  let pendingKey: string | undefined;
  let pendingKeySpan: TextSpan | undefined;
  let targetName: TextSpan | undefined;
  let previous = 0;

  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    const offset = scanner.getTokenOffset();
    const length = scanner.getTokenLength();

    if (token === 10 && depth >= 0 && isObject[depth] && (previous === OPEN_BRACE || previous === COMMA)) {
      pendingKey = scanner.getTokenValue();
      pendingKeySpan = { offset, length };
      previous = token;
      continue;
    }

    const startsValue = token === OPEN_BRACE || token === OPEN_BRACKET || (token >= NULL_KEYWORD && token <= NUMBER);
    if (startsValue) {
      let isMatch: boolean;
      if (depth < 0) {
        isMatch = true;
      } else {
        const segment = isObject[depth] ? pendingKey : nextIndex[depth]++;
        isMatch = matched[depth] && depth < path.length && segmentEquals(path[depth], segment);
      }
      const level = depth + 1;
      const isTarget = isMatch && level === path.length;
      const nameSpan = depth >= 0 && isObject[depth] ? pendingKeySpan : undefined;
      pendingKey = undefined;
      pendingKeySpan = undefined;
      previous = token;

      if (token !== OPEN_BRACE && token !== OPEN_BRACKET) {
        if (isTarget) {
          return { name: nameSpan, value: { offset, length } };
        }
        if (isMatch) {
          return { deepest: { offset, length } };
        }
        if (depth < 0) {
          return {};
        }
        continue;
      }
      if (!isMatch && skip !== undefined && offset === skip.offset) {
        scanner.setPosition(skip.offset + skip.length);
        continue;
      }
      depth++;
      isObject[depth] = token === OPEN_BRACE;
      matched[depth] = isMatch;
      nextIndex[depth] = 0;
      startOffset[depth] = offset;
      if (isTarget) {
        targetName = nameSpan;
      }
      continue;
    }

    if (token === CLOSE_BRACE || token === CLOSE_BRACKET) {
      if (depth < 0) {
        return {};
      }
      const span = { offset: startOffset[depth], length: offset + 1 - startOffset[depth] };
      if (matched[depth]) {
        // A matched container closes: either it is the target, or the path ends inside it.
        return depth === path.length ? { name: targetName, value: span } : { deepest: span };
      }
      depth--;
    }
    previous = token;
  }
  return {};
}

function segmentEquals(expected: string | number, actual: string | number | undefined): boolean {
  if (actual === undefined) {
    return false;
  }
  return typeof expected === typeof actual ? expected === actual : String(expected) === String(actual);
}

function pick(location: PathLocation, mark: 'name' | 'value'): TextSpan | undefined {
  const first = mark === 'name' ? location.name : location.value;
  return first ?? location.value ?? location.deepest;
}

/**
 * Returns the span to mark for a path inside one item: the property name when the path ends
 * at a property, else the value, else the deepest part of the path that exists, else the item,
 * else the items array. Used to put server errors from `source.pointer` on the exact token.
 * With `mark` set to 'value', the value comes first, for errors about a value.
 */
export function locateInItem(
  text: string,
  document: DdstoreDocument,
  itemIndex: number,
  path: readonly (string | number)[],
  mark: 'name' | 'value' = 'name',
): TextSpan {
  const item = document.items[itemIndex];
  if (item === undefined) {
    return document.itemsSpan ?? { offset: 0, length: 0 };
  }
  if (path.length === 0) {
    return item.span;
  }
  const location = locatePath(text, item.span.offset, path);
  return pick(location, mark) ?? item.span;
}

/**
 * Returns the span to mark for a path from the root of the file, with the same fallbacks as
 * locateInItem. Paths into an item start scanning at that item.
 */
export function locateInDocument(
  text: string,
  document: DdstoreDocument,
  path: readonly (string | number)[],
  mark: 'name' | 'value' = 'name',
): TextSpan {
  const itemsPath = itemsPathOf(document.layout);
  const isItemPath =
    path.length > itemsPath.length && itemsPath.every((segment, index) => segment === path[index]);
  if (isItemPath) {
    const index = Number(path[itemsPath.length]);
    if (Number.isInteger(index) && document.items[index] !== undefined) {
      return locateInItem(text, document, index, path.slice(itemsPath.length + 1), mark);
    }
  }
  const location = locatePath(text, 0, path, isItemPath ? undefined : document.itemsSpan);
  return pick(location, mark) ?? { offset: 0, length: 0 };
}
