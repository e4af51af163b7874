/** Wire shapes of the Actions Datastores API (v2), as far as ddstore reads them. */
import type { ConflictMode } from '../format/model';

export interface DatastoreSummary {
  readonly id: string;
  readonly name: string;
  readonly primaryColumnName: string;
  readonly description: string;
  readonly primaryKeyGenerationStrategy: string;
}

/** One error object of a JSON:API error body, or one string of the legacy list body (429). */
export interface ApiErrorEntry {
  readonly status?: string;
  readonly title: string;
  readonly detail?: string;
  readonly pointer?: string;
  readonly parameter?: string;
}

export interface BulkWriteBody {
  data: {
    type: 'items';
    attributes: {
      values: readonly unknown[];
      conflict_mode: ConflictMode;
    };
  };
}

export interface StoredItem {
  readonly id: string;
  readonly value: Record<string, unknown>;
}
