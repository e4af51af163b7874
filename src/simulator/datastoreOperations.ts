import { type OperationContext, requireDatastore, requireDatastoreIdFormat } from './context';
import { type ApiResponse, fail } from './errors';
import { type Datastore, isUuid, SIMULATED_ORG_ID, SIMULATED_USER_ID, SIMULATED_USER_UUID, timestamp } from './store';
import { columnNameProblem, requireAttributes, requireData } from './validation';

const ORG_ACCESS_VALUES = ['contributor', 'viewer', 'manager'];
const STRATEGIES = ['none', 'uuid'];

/** Serializes a datastore as `DatastoreData`. `org_access` is never returned, as on the real server. */
export function datastoreResource(datastore: Datastore): unknown {
  return {
    id: datastore.id,
    type: 'datastores',
    attributes: {
      created_at: datastore.createdAt,
      creator_user_id: SIMULATED_USER_ID,
      creator_user_uuid: SIMULATED_USER_UUID,
      description: datastore.description,
      modified_at: datastore.modifiedAt,
      name: datastore.name,
      org_id: SIMULATED_ORG_ID,
      primary_column_name: datastore.primaryColumnName,
      primary_key_generation_strategy: datastore.strategy,
    },
  };
}

/** ListDatastores: every datastore in one response, without paging. */
export function listDatastores(context: OperationContext): ApiResponse {
  return { status: 200, body: { data: context.store.listDatastores().map(datastoreResource) } };
}

/** CreateDatastore: returns the id and type only. */
export function createDatastore(context: OperationContext): ApiResponse {
  const data = requireData(context.body, 'datastores');
  const attributes = requireAttributes(data);

  const name = attributes.name;
  if (typeof name !== 'string' || name.trim() === '') {
    fail(400, 'missing required field', 'name must be a non-empty string', { pointer: '/data/attributes/name' });
  }
  const primaryColumnName = attributes.primary_column_name;
  if (typeof primaryColumnName !== 'string') {
    fail(400, 'missing required field', 'primary_column_name must be a string', { pointer: '/data/attributes/primary_column_name' });
  }
  const problem = columnNameProblem(primaryColumnName);
  if (problem !== undefined) {
    fail(400, 'datastore configuration invalid', problem, { pointer: '/data/attributes/primary_column_name' });
  }
  const description = attributes.description ?? '';
  if (typeof description !== 'string') {
    fail(400, 'datastore configuration invalid', 'description must be a string', { pointer: '/data/attributes/description' });
  }
  if (attributes.org_access !== undefined && !ORG_ACCESS_VALUES.includes(attributes.org_access as string)) {
    fail(400, 'datastore configuration invalid', `org_access must be one of ${ORG_ACCESS_VALUES.join(', ')}`, {
      pointer: '/data/attributes/org_access',
    });
  }
  const strategy = attributes.primary_key_generation_strategy ?? 'none';
  if (!STRATEGIES.includes(strategy as string)) {
    fail(400, 'datastore configuration invalid', `primary_key_generation_strategy must be one of ${STRATEGIES.join(', ')}`, {
      pointer: '/data/attributes/primary_key_generation_strategy',
    });
  }

  const id = data.id;
  if (id !== undefined) {
    // NOTE: the real server's checks on a client-chosen id are not recorded. Path ids must be
    // UUIDs, so any other id would be unreachable.
    if (typeof id !== 'string' || !isUuid(id)) {
      fail(400, 'datastore configuration invalid', 'data.id must be a UUID', { pointer: '/data/id' });
    }
    if (context.store.getDatastore(id) !== undefined) {
      fail(400, 'datastore configuration invalid', `a datastore with id ${id} already exists`, { pointer: '/data/id' });
    }
  }

  const datastore = context.store.createDatastore({
    name,
    primaryColumnName,
    description,
    strategy: strategy as 'none' | 'uuid',
    id: id as string | undefined,
  });
  return { status: 200, body: { data: { id: datastore.id, type: 'datastores' } } };
}

export function getDatastore(context: OperationContext): ApiResponse {
  return { status: 200, body: { data: datastoreResource(requireDatastore(context)) } };
}

/** UpdateDatastore: only `name` and `description` change. Other attributes are ignored. */
export function updateDatastore(context: OperationContext): ApiResponse {
  const datastore = requireDatastore(context);
  const data = requireData(context.body, 'datastores');
  const attributes = requireAttributes(data, true);

  if (attributes.name !== undefined && (typeof attributes.name !== 'string' || attributes.name.trim() === '')) {
    fail(400, 'datastore configuration invalid', 'name must be a non-empty string', { pointer: '/data/attributes/name' });
  }
  if (attributes.description !== undefined && typeof attributes.description !== 'string') {
    fail(400, 'datastore configuration invalid', 'description must be a string', { pointer: '/data/attributes/description' });
  }
  if (typeof attributes.name === 'string') {
    datastore.name = attributes.name;
  }
  if (typeof attributes.description === 'string') {
    datastore.description = attributes.description;
  }
  datastore.modifiedAt = timestamp();
  return { status: 200, body: { data: datastoreResource(datastore) } };
}

/** DeleteDatastore: `{data:{id,type}}` the first time, then 200 with an empty body, as recorded. */
export function deleteDatastore(context: OperationContext): ApiResponse {
  const id = requireDatastoreIdFormat(context);
  const datastore = context.store.getDatastore(id);
  if (datastore === undefined) {
    return { status: 200 };
  }
  context.store.deleteDatastore(id);
  return { status: 200, body: { data: { id: datastore.id, type: 'datastores' } } };
}
