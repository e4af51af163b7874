import { fail } from './errors';
import type { Datastore, DatastoreStore } from './store';
import { isUuid } from './store';

/** Server settings that change operation responses. */
export interface OperationSettings {
  conflictStatus: 409 | 400;
  errorPointers: boolean;
  maxItemsPerDatastore: number;
}

/** Input of an operation handler for one request. */
export interface OperationContext {
  store: DatastoreStore;
  /** Parsed JSON body, or `undefined` when the request had none. */
  body: unknown;
  query: URLSearchParams;
  /** The `{datastore_id}` path segment, still unchecked. Empty for collection routes. */
  datastoreId: string;
  settings: OperationSettings;
  /** Adds to the `itemsWritten` counter. */
  countItemsWritten(count: number): void;
}

/** Checks the path id format. A non-UUID gets the recorded 400 with `source.parameter: "datastoreId"`. */
export function requireDatastoreIdFormat(context: OperationContext): string {
  if (!isUuid(context.datastoreId)) {
    fail(400, 'invalid path parameter', 'invalid datastoreId format in path', { parameter: 'datastoreId' });
  }
  return context.datastoreId;
}

/** Returns the datastore named in the path, or sends 400 (bad id) or 404 `datastore not found`. */
export function requireDatastore(context: OperationContext): Datastore {
  const id = requireDatastoreIdFormat(context);
  const datastore = context.store.getDatastore(id);
  if (datastore === undefined) {
    fail(404, 'datastore not found', `datastore ${id} not found`, { parameter: 'datastoreId' });
  }
  return datastore;
}
