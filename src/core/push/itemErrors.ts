import { describeHttpError, parseJsonPointer } from '../api/apiError';
import type { ApiErrorEntry } from '../api/apiTypes';
import type { ItemError } from './pushTypes';

const VALUES_POINTER = /^\/data\/attributes\/values\/(\d+)(\/.*)?$/;

/**
 * Places the errors of a rejected bulk write on the items they concern.
 *
 * An error whose `source.pointer` names `/data/attributes/values/<i>/...` goes on item `i` of
 * the request, at the property the rest of the pointer names. The documented
 * "primary column "<name>" is missing" detail goes on the first item without that property.
 * Any other error goes on the request's first item.
 */
export function mapErrorsToItems(
  status: number,
  entries: readonly ApiErrorEntry[],
  itemIndices: readonly number[],
  values: readonly unknown[],
  code: ItemError['code'] = 'api-error',
): ItemError[] {
  return entries.map((entry): ItemError => {
    const message = describeHttpError(status, entry);
    const match = entry.pointer ? VALUES_POINTER.exec(entry.pointer) : null;
    if (match) {
      const position = Number(match[1]);
      if (position < itemIndices.length) {
        const path = match[2] ? parseJsonPointer(match[2]) : [];
        return { itemIndex: itemIndices[position], path, code, httpStatus: status, message };
      }
    }
    const missingColumn = /primary column "([^"]+)" is missing/.exec(entry.detail ?? '');
    if (missingColumn) {
      const position = values.findIndex(
        (value) => typeof value !== 'object' || value === null || !(missingColumn[1] in value),
      );
      if (position >= 0) {
        return { itemIndex: itemIndices[position], path: [], code, httpStatus: status, message };
      }
    }
    return { itemIndex: itemIndices[0], path: [], code, httpStatus: status, message };
  });
}

/** Serialises a JSON value with object keys sorted, so two equal items compare equal as text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
