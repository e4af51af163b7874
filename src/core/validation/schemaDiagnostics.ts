import type { ErrorObject } from 'ajv';
import { itemsPathOf, locateInDocument, locateInItem } from '../format/locate';
import type { DdstoreDocument, TextSpan } from '../format/model';
import type { DdstoreDiagnostic } from './diagnostic';

/** Splits an ajv instancePath (a JSON Pointer) into path segments; digits become array indexes. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') {
    return [];
  }
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

/** Names a path for messages, for example `datastore.id` or `the file`. */
function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) {
    return 'the file';
  }
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : segment)).join('.').replace(/\.\[/g, '[');
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    return String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Rules that validate.ts checks itself with better messages: the primary column name and
 * the item count (the limit is configurable). Their schema errors are dropped here.
 */
function isCheckedInCode(error: ErrorObject, path: readonly (string | number)[], layout: DdstoreDocument['layout']): boolean {
  if (layout === 'ddstore' && path.length === 1 && path[0] === 'primaryKey') {
    return error.keyword === 'pattern' || error.keyword === 'maxLength';
  }
  if (error.keyword === 'maxItems') {
    const itemsPath = itemsPathOf(layout);
    return path.length === itemsPath.length && itemsPath.every((segment, index) => segment === path[index]);
  }
  return false;
}

/**
 * Turns the ajv errors of the file-level validation (run with an empty items array) into
 * diagnostics on the exact token.
 */
export function fileSchemaDiagnostics(
  text: string,
  document: DdstoreDocument,
  root: unknown,
  errors: readonly ErrorObject[],
): DdstoreDiagnostic[] {
  const diagnostics: DdstoreDiagnostic[] = [];
  for (const error of errors) {
    // An "if" error only reports that a branch failed, and the branch's own errors follow it.
    if (error.keyword === 'if' || error.keyword === 'propertyNames') {
      continue;
    }
    const path = pointerToPath(error.instancePath);
    if (isCheckedInCode(error, path, document.layout)) {
      continue;
    }
    const value = valueAt(root, path);
    const { message, targetPath, mark } = describeError(error, path, value);
    diagnostics.push({
      code: 'schema',
      severity: 'error',
      message,
      span: error.keyword === 'required' ? openingOf(locateInDocument(text, document, targetPath)) : locateInDocument(text, document, targetPath, mark),
    });
  }
  return diagnostics;
}

/** Turns the ajv errors of one item into diagnostics. */
export function itemSchemaDiagnostics(
  text: string,
  document: DdstoreDocument,
  itemIndex: number,
  item: unknown,
  errors: readonly ErrorObject[],
): DdstoreDiagnostic[] {
  const diagnostics: DdstoreDiagnostic[] = [];
  for (const error of errors) {
    if (error.keyword === 'propertyNames') {
      continue;
    }
    const path = pointerToPath(error.instancePath);
    if (error.propertyName !== undefined) {
      // An error from propertyNames: the only rule there is the field name length.
      const name = error.propertyName;
      diagnostics.push({
        code: 'field-name-too-long',
        severity: 'error',
        message: `Item ${itemIndex + 1} has a field name of ${[...name].length} characters, "${name.slice(0, 40)}...". Field names are at most 63 characters; rename the field.`,
        span: locateInItem(text, document, itemIndex, [...path, name]),
        itemIndex,
      });
      continue;
    }
    if (error.keyword === 'type' && path.length === 0) {
      diagnostics.push({
        code: 'item-not-object',
        severity: 'error',
        message: `Item ${itemIndex + 1} is ${typeName(item)} (${show(item)}), not an object. Each item is a JSON object such as {"id": "key-1", "name": "..."}.`,
        span: document.items[itemIndex]?.span ?? { offset: 0, length: 0 },
        itemIndex,
      });
      continue;
    }
    const { message, targetPath, mark } = describeError(error, path, valueAt(item, path));
    diagnostics.push({
      code: 'schema',
      severity: 'error',
      message: `Item ${itemIndex + 1}: ${message}`,
      span: error.keyword === 'required' ? openingOf(locateInItem(text, document, itemIndex, targetPath)) : locateInItem(text, document, itemIndex, targetPath, mark),
      itemIndex,
    });
  }
  return diagnostics;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function describeError(
  error: ErrorObject,
  path: readonly (string | number)[],
  value: unknown,
): { message: string; targetPath: readonly (string | number)[]; mark: 'name' | 'value' } {
  const where = describePath(path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { message: `${capitalize(where)} has no "${missing}" property. Add "${missing}".`, targetPath: path, mark: 'name' };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const hint = path.length === 0 ? ' Allowed: "items", "datastore", "primaryKey", "conflictMode", "$schema".' : '';
      return {
        message: `Property "${extra}" is not allowed in ${where}. Remove it or check its spelling.${hint}`,
        targetPath: [...path, extra],
        mark: 'name',
      };
    }
    case 'type':
      if (path.length === 0) {
        return {
          message: `The file must be an array of items or an object such as {"items": [...]}, not ${typeName(value)}.`,
          targetPath: path,
          mark: 'value',
        };
      }
      return { message: `${capitalize(where)} must be ${article(String(params.type))}, not ${typeName(value)}.`, targetPath: path, mark: 'value' };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((option) => show(option)).join(', ');
      return { message: `${show(value)} is not a valid value for ${where}. Use one of: ${allowed}.`, targetPath: path, mark: 'value' };
    }
    case 'pattern':
      if (path[path.length - 1] === 'id' && path[path.length - 2] === 'datastore') {
        return {
          message: `The datastore id ${show(value)} is not a UUID. Copy the id from the datastore page, for example "6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7".`,
          targetPath: path,
          mark: 'value',
        };
      }
      return { message: `${capitalize(where)} ${show(value)} does not match the pattern ${String(params.pattern)}.`, targetPath: path, mark: 'value' };
    default:
      return { message: `${capitalize(where)} ${error.message ?? 'is invalid'}.`, targetPath: path, mark: 'value' };
  }
}

/** Span of the first character of a value, so a missing property does not mark a whole object. */
function openingOf(span: TextSpan): TextSpan {
  return { offset: span.offset, length: Math.min(1, span.length) };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
