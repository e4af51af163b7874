/** The API accepts at most this many values in one bulk write. */
export const MAX_ITEMS_PER_REQUEST = 100;

/** One bulk-write request: items `start` (inclusive) to `end` (exclusive) of the file. */
export interface RequestRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** Splits `itemCount` items into consecutive requests of at most `batchSize` items. */
export function planRequests(itemCount: number, batchSize = MAX_ITEMS_PER_REQUEST): RequestRange[] {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_ITEMS_PER_REQUEST) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_ITEMS_PER_REQUEST}, got ${batchSize}`);
  }
  const requests: RequestRange[] = [];
  for (let start = 0, index = 0; start < itemCount; start += batchSize, index += 1) {
    requests.push({ index, start, end: Math.min(start + batchSize, itemCount) });
  }
  return requests;
}

/** Formats an item range for people: items are numbered from 1, as in editors. */
export function describeRange(range: { start: number; end: number }): string {
  return range.end - range.start === 1 ? `item ${range.start + 1}` : `items ${range.start + 1}–${range.end}`;
}
