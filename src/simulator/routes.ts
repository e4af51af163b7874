import type { Permission } from './auth';
import type { OperationContext } from './context';
import * as datastores from './datastoreOperations';
import type { ApiResponse } from './errors';
import * as items from './itemOperations';

export type OperationHandler = (context: OperationContext) => ApiResponse;

export interface Operation {
  /** The Datadog operationId, for logs. */
  name: string;
  permission: Permission;
  handler: OperationHandler;
}

export type RouteMatch =
  | { kind: 'operation'; operation: Operation; datastoreId: string }
  | { kind: 'validate' }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

const PREFIX = '/api/v2/actions-datastores';

const COLLECTION: Record<string, Operation> = {
  GET: { name: 'ListDatastores', permission: 'apps_datastore_read', handler: datastores.listDatastores },
  POST: { name: 'CreateDatastore', permission: 'apps_datastore_manage', handler: datastores.createDatastore },
};

const DATASTORE: Record<string, Operation> = {
  GET: { name: 'GetDatastore', permission: 'apps_datastore_read', handler: datastores.getDatastore },
  PATCH: { name: 'UpdateDatastore', permission: 'apps_datastore_manage', handler: datastores.updateDatastore },
  DELETE: { name: 'DeleteDatastore', permission: 'apps_datastore_manage', handler: datastores.deleteDatastore },
};

const ITEMS: Record<string, Operation> = {
  GET: { name: 'ListDatastoreItems', permission: 'apps_datastore_read', handler: items.listItems },
  PATCH: { name: 'UpdateDatastoreItem', permission: 'apps_datastore_write', handler: items.updateItem },
  DELETE: { name: 'DeleteDatastoreItem', permission: 'apps_datastore_write', handler: items.deleteItem },
};

const BULK: Record<string, Operation> = {
  POST: { name: 'BulkWriteDatastoreItems', permission: 'apps_datastore_write', handler: items.bulkWriteItems },
  DELETE: { name: 'BulkDeleteDatastoreItems', permission: 'apps_datastore_write', handler: items.bulkDeleteItems },
};

/** Maps a method and a decoded path (no query string) to an operation. A trailing slash is ignored. */
export function matchRoute(method: string, path: string): RouteMatch {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '/api/v1/validate') {
    return method === 'GET' ? { kind: 'validate' } : { kind: 'method-not-allowed', allowed: ['GET'] };
  }
  if (trimmed !== PREFIX && !trimmed.startsWith(`${PREFIX}/`)) {
    return { kind: 'not-found' };
  }
  const segments = trimmed.slice(PREFIX.length).split('/').filter((segment) => segment !== '');
  let table: Record<string, Operation>;
  if (segments.length === 0) {
    table = COLLECTION;
  } else if (segments.length === 1) {
    table = DATASTORE;
  } else if (segments.length === 2 && segments[1] === 'items') {
    table = ITEMS;
  } else if (segments.length === 3 && segments[1] === 'items' && segments[2] === 'bulk') {
    table = BULK;
  } else {
    return { kind: 'not-found' };
  }
  const operation = table[method];
  if (operation === undefined) {
    return { kind: 'method-not-allowed', allowed: Object.keys(table) };
  }
  return { kind: 'operation', operation, datastoreId: decodeSegment(segments[0] ?? '') };
}

/** Decodes a percent-encoded path segment. A malformed one is returned as is, and fails the UUID check later. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
