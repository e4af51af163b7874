import { parse as parseJsonc, printParseErrorCode, visit } from './jsonc';
import type { DdstoreDiagnostic } from '../validation/diagnostic';
import { itemsPathOf } from './locate';
import {
  CONFLICT_MODES,
  type ConflictMode,
  type DatastoreTarget,
  type DdstoreDocument,
  type DocumentLayout,
  type ItemEntry,
  type TextSpan,
} from './model';
import { LazyStructure, mayNeedStructureScan, type StructureScan } from './scanStructure';
import { runSteps } from './steps';

export interface ParseResult {
  /** The parsed file; missing when the text is not JSON that can be read. */
  readonly document?: DdstoreDocument;
  readonly diagnostics: DdstoreDiagnostic[];
}

/** A parse result with the values that validation needs besides the document. */
export interface ParsedText extends ParseResult {
  /** The whole parsed value. */
  readonly root?: unknown;
  /** The parsed items array, or whatever value the file has in its place. */
  readonly itemsValue?: unknown;
}

/** At most this many JSON syntax errors are reported; a binary file would give thousands. */
const MAX_SYNTAX_ERRORS = 50;

/**
 * Parses the text of a `.ddstore.json` file in any of its three layouts and reports syntax
 * problems with their spans. A byte-order mark gives a warning. Comments and trailing commas
 * are errors because the Datastores API takes strict JSON, but the rest of the file is still
 * read. Spans are UTF-16 offsets into `text`, the byte-order mark included.
 */
export function parseDdstoreText(text: string): ParseResult {
  const { document, diagnostics } = runSteps(parseSteps(text));
  return { document, diagnostics };
}

/** Parses like parseDdstoreText, yielding between chunks of the structure scan. */
export function* parseSteps(text: string): Generator<void, ParsedText> {
  const diagnostics: DdstoreDiagnostic[] = [];
  let source = text;
  if (text.charCodeAt(0) === 0xfeff) {
    diagnostics.push({
      code: 'bom',
      severity: 'warning',
      message: 'The file starts with a byte-order mark (BOM). It is ignored, but save the file as UTF-8 without a BOM.',
      span: { offset: 0, length: 1 },
    });
    // A space keeps every offset the same and is valid JSON whitespace.
    source = ' ' + text.slice(1);
  }

  if (!/\S/.test(source)) {
    diagnostics.push({
      code: 'empty-file',
      severity: 'error',
      message: 'The file is empty. Write an object such as {"primaryKey": "id", "items": [{"id": "a"}]} or an array of items.',
      span: { offset: 0, length: text.length },
    });
    return { diagnostics };
  }

  let root: unknown;
  let strictJson = true;
  try {
    root = JSON.parse(source);
  } catch (error) {
    strictJson = false;
    const syntax = collectSyntaxErrors(source, error);
    diagnostics.push(...syntax.diagnostics);
    if (!syntax.recoverable) {
      return { diagnostics };
    }
    // Only comments and trailing commas: read the rest so its other problems show too.
    // NOTE: jsonc-parser assigns properties with `=`, so a "__proto__" key sets the prototype
    // of that one object here instead of becoming an own property. JSON.parse, used for every
    // strict JSON file, keeps it as an own property.
    root = parseJsonc(source, [], { allowTrailingComma: true, disallowComments: false });
  }

  const layout = layoutOf(root);
  const structure = new LazyStructure(source, itemsPathOf(layout));
  if (!strictJson || mayNeedStructureScan(source, root)) {
    diagnostics.push(...structureDiagnostics(yield* structure.scanSteps()));
  }

  const itemsValue = valueAtPath(root, itemsPathOf(layout));
  const items: ItemEntry[] = [];
  if (Array.isArray(itemsValue)) {
    for (let index = 0; index < itemsValue.length; index++) {
      items.push(new ScannedItem(index, itemsValue[index], structure));
    }
  }

  const document: DdstoreDocument = {
    layout,
    items,
    get itemsSpan() {
      return structure.get().itemsSpan;
    },
    ...settingsOf(root, layout),
  };
  return { document, diagnostics, root, itemsValue };
}

/**
 * An item whose span is found by the structure scan on first use: most files have no
 * problems, and only the items with diagnostics need a position.
 */
class ScannedItem implements ItemEntry {
  readonly #structure: LazyStructure;

  constructor(
    readonly index: number,
    readonly value: unknown,
    structure: LazyStructure,
  ) {
    this.#structure = structure;
  }

  get span(): TextSpan {
    const scan = this.#structure.get();
    return scan.itemSpans[this.index] ?? scan.itemsSpan ?? { offset: 0, length: 0 };
  }
}

/**
 * Returns the layout of a parsed file, with the same rule as the schema's if/then/else.
 * An array is a bare item list, and an object with "data" and no "items" is a request body.
 * Anything else is read as the ddstore object.
 */
export function layoutOf(root: unknown): DocumentLayout {
  if (Array.isArray(root)) {
    return 'array';
  }
  if (isObject(root) && Object.hasOwn(root, 'data') && !Object.hasOwn(root, 'items')) {
    return 'request';
  }
  return 'ddstore';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (!isObject(value) || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = value[segment];
  }
  return value;
}

/** Reads the optional settings; values of the wrong type are left out and reported by the schema. */
function settingsOf(
  root: unknown,
  layout: DocumentLayout,
): { datastore?: DatastoreTarget; primaryKey?: string; conflictMode?: ConflictMode } {
  const settings: { datastore?: DatastoreTarget; primaryKey?: string; conflictMode?: ConflictMode } = {};
  if (layout === 'request') {
    const mode = valueAtPath(root, ['data', 'attributes', 'conflict_mode']);
    if (isConflictMode(mode)) {
      settings.conflictMode = mode;
    }
    return settings;
  }
  if (layout !== 'ddstore' || !isObject(root)) {
    return settings;
  }
  if (typeof root.primaryKey === 'string' && Object.hasOwn(root, 'primaryKey')) {
    settings.primaryKey = root.primaryKey;
  }
  if (isConflictMode(root.conflictMode) && Object.hasOwn(root, 'conflictMode')) {
    settings.conflictMode = root.conflictMode;
  }
  const datastore = Object.hasOwn(root, 'datastore') ? root.datastore : undefined;
  if (isObject(datastore)) {
    const site = typeof datastore.site === 'string' ? datastore.site : undefined;
    const id = typeof datastore.id === 'string' ? datastore.id : undefined;
    settings.datastore = { ...(site !== undefined && { site }), ...(id !== undefined && { id }) };
  }
  return settings;
}

function isConflictMode(value: unknown): value is ConflictMode {
  return typeof value === 'string' && (CONFLICT_MODES as readonly string[]).includes(value);
}

function structureDiagnostics(scan: StructureScan): DdstoreDiagnostic[] {
  const diagnostics: DdstoreDiagnostic[] = [];
  for (const duplicate of scan.duplicateProperties) {
    const where = duplicate.itemIndex === undefined ? 'this object' : `item ${duplicate.itemIndex + 1}`;
    diagnostics.push({
      code: 'duplicate-property',
      severity: 'warning',
      message: `Property "${duplicate.name}" appears more than once in ${where}; only the last value is kept. Remove the other "${duplicate.name}".`,
      span: duplicate.span,
      itemIndex: duplicate.itemIndex,
      related: [{ message: `An earlier "${duplicate.name}" is here.`, span: duplicate.firstSpan }],
    });
  }
  for (const integer of scan.unsafeIntegers) {
    const where = integer.itemIndex === undefined ? '' : ` in item ${integer.itemIndex + 1}`;
    diagnostics.push({
      code: 'unsafe-integer',
      severity: 'warning',
      message:
        `The integer ${integer.literal}${where} is beyond 2^53 and loses precision: it is read as ` +
        `${BigInt(Number(integer.literal)).toString()}. Write it as a string: "${integer.literal}".`,
      span: integer.span,
      itemIndex: integer.itemIndex,
    });
  }
  return diagnostics;
}

interface SyntaxErrors {
  readonly diagnostics: DdstoreDiagnostic[];
  /** True when the only problems are comments and trailing commas. */
  readonly recoverable: boolean;
}

/** Finds the syntax errors of a text that JSON.parse rejected, with jsonc-parser's positions. */
function collectSyntaxErrors(source: string, parseError: unknown): SyntaxErrors {
  const diagnostics: DdstoreDiagnostic[] = [];
  let otherErrors = 0;
  let lastComma = -1;
  const clearComma = (): void => {
    lastComma = -1;
  };
  const closeContainer = (): void => {
    if (lastComma >= 0) {
      diagnostics.push({
        code: 'trailing-comma',
        severity: 'error',
        message: 'Trailing comma: the Datastores API accepts strict JSON only. Remove the comma.',
        span: { offset: lastComma, length: 1 },
      });
    }
    lastComma = -1;
  };
  try {
    visit(
      source,
      {
        onComment: (offset, length) => {
          diagnostics.push({
            code: 'comment',
            severity: 'error',
            message: 'Comments are not allowed: the Datastores API accepts strict JSON only. Remove the comment.',
            span: { offset, length },
          });
        },
        onSeparator: (character, offset) => {
          if (character === ',') {
            lastComma = offset;
          }
        },
        onObjectBegin: clearComma,
        onArrayBegin: clearComma,
        onObjectProperty: clearComma,
        onLiteralValue: clearComma,
        onObjectEnd: closeContainer,
        onArrayEnd: closeContainer,
        onError: (error, offset, length) => {
          otherErrors++;
          if (otherErrors <= MAX_SYNTAX_ERRORS) {
            diagnostics.push({
              code: 'invalid-json',
              severity: 'error',
              message: `Invalid JSON: ${syntaxErrorText(printParseErrorCode(error))}.`,
              span: { offset, length },
            });
          }
        },
      },
      { allowTrailingComma: true, disallowComments: false },
    );
  } catch (error) {
    if (!(error instanceof RangeError)) {
      throw error;
    }
    // jsonc-parser recurses once per nesting level, so very deep nesting overflows the stack.
    // Fall back to the position in JSON.parse's message.
    diagnostics.length = 0;
    otherErrors = 0;
  }
  if (otherErrors > MAX_SYNTAX_ERRORS) {
    diagnostics.push({
      code: 'invalid-json',
      severity: 'error',
      message: `Invalid JSON: ${otherErrors - MAX_SYNTAX_ERRORS} more syntax errors are not shown. Is this a JSON file?`,
      span: { offset: 0, length: 0 },
    });
  }
  if (diagnostics.length === 0) {
    // JSON.parse rejected something jsonc-parser accepts, or the visit overflowed.
    otherErrors++;
    diagnostics.push(fromJsonParseError(source, parseError));
  }
  return { diagnostics, recoverable: otherErrors === 0 };
}

const SYNTAX_ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'unexpected symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon after the property name',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the array',
  EndOfFileExpected: 'expected the end of the file after the JSON value',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'the comment is not closed',
  UnexpectedEndOfString: 'the string is not closed',
  UnexpectedEndOfNumber: 'the number is incomplete',
  InvalidUnicode: 'invalid \\u escape sequence',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string; control characters must be escaped',
};

function syntaxErrorText(code: string): string {
  return SYNTAX_ERROR_TEXT[code] ?? code;
}

function fromJsonParseError(source: string, error: unknown): DdstoreDiagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  const offset = position ? Math.min(Number(position[1]), source.length) : 0;
  const span: TextSpan = { offset, length: offset < source.length ? 1 : 0 };
  return { code: 'invalid-json', severity: 'error', message: `Invalid JSON: ${message}.`, span };
}
