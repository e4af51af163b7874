/** The data model of a `.ddstore.json` file, independent of how it was written. */

export type ConflictMode = 'fail_on_conflict' | 'overwrite_on_conflict';

export const CONFLICT_MODES: readonly ConflictMode[] = ['fail_on_conflict', 'overwrite_on_conflict'];

/** A span of the source text, in UTF-16 code units from the start of the text. */
export interface TextSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * Accepted layout of a file: the ddstore object (`{"items": [...]}`),
 * a bare array of items, or the API's own bulk-write request body.
 */
export type DocumentLayout = 'ddstore' | 'array' | 'request';

/** One item of the file, with where it sits in the text. */
export interface ItemEntry {
  /** Zero-based position of the item in the file's item array. */
  readonly index: number;
  /** The parsed item value; an object for valid items. */
  readonly value: unknown;
  /** The span of the whole item value. */
  readonly span: TextSpan;
}

/** The push target a file may name. */
export interface DatastoreTarget {
  readonly site?: string;
  readonly id?: string;
}

export interface DdstoreDocument {
  readonly layout: DocumentLayout;
  readonly items: readonly ItemEntry[];
  readonly datastore?: DatastoreTarget;
  readonly primaryKey?: string;
  readonly conflictMode?: ConflictMode;
  /** The span of the items array, when the file has one. */
  readonly itemsSpan?: TextSpan;
}
