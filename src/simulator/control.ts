import type { ApiResponse } from './errors';
import { type EnqueueOptions, type FaultPlan, parseFault, type RandomFaultConfig } from './faults';
import { type DatastoreInit, type DatastoreStore, type KeyGenerationStrategy } from './store';

/** Path prefix of the simulator-only control routes. They need no keys and bypass faults and rate limits. */
export const CONTROL_PREFIX = '/__simulator/';

/** The parts of a running simulator that the control routes act on. */
export interface ControlTarget {
  readonly store: DatastoreStore;
  readonly faults: FaultPlan;
  readonly stats: unknown;
  readonly requestLog: ReadonlyArray<unknown>;
  reset(): void;
}

class ControlError extends Error {}

function ok(body: unknown): ApiResponse {
  return { status: 200, body, contentType: 'application/json' };
}

function asObject(value: unknown, description: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ControlError(`invalid ${description}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Handles `/__simulator/*`:
 * - `POST faults`: a fault, `{fault, count?, match?}`, `{random: {...} | null}`, `{clear: true}`, or an array of these.
 * - `GET faults`, `DELETE faults`, `POST reset`, `GET stats`, `GET requests`.
 * - `POST datastores`: `{name, primaryColumnName, id?, strategy?, description?, items?}` or an array of these.
 * - `GET datastores`: ids, names and item counts.
 */
export function handleControlRequest(target: ControlTarget, method: string, path: string, body: unknown): ApiResponse {
  const route = `${method} ${path.slice(CONTROL_PREFIX.length).replace(/\/$/, '')}`;
  try {
    switch (route) {
      case 'POST faults': {
        const requests = Array.isArray(body) ? body : [body];
        requests.forEach((request) => applyFaultRequest(target.faults, request));
        return ok({ pending: target.faults.pending.length });
      }
      case 'GET faults':
        return ok({ pending: target.faults.pending });
      case 'DELETE faults':
        target.faults.clear();
        return ok({ pending: 0 });
      case 'POST reset':
        target.reset();
        return ok({ reset: true });
      case 'GET stats':
        return ok(target.stats);
      case 'GET requests':
        return ok({ requests: target.requestLog });
      case 'POST datastores': {
        const requests = Array.isArray(body) ? body : [body];
        const created = requests.map((request) => seedDatastore(target.store, request));
        return ok({ datastores: created });
      }
      case 'GET datastores':
        return ok({
          datastores: target.store.listDatastores().map((datastore) => ({
            id: datastore.id,
            name: datastore.name,
            primaryColumnName: datastore.primaryColumnName,
            itemCount: datastore.size,
          })),
        });
      default:
        return { status: 404, body: { error: `no control route ${route}` }, contentType: 'application/json' };
    }
  } catch (error) {
    return { status: 400, body: { error: (error as Error).message }, contentType: 'application/json' };
  }
}

function applyFaultRequest(faults: FaultPlan, input: unknown): void {
  const request = asObject(input, 'fault request');
  if (request.clear === true) {
    faults.clear();
    return;
  }
  if ('random' in request) {
    faults.setRandom(request.random === null ? undefined : (asObject(request.random, 'random fault configuration') as unknown as RandomFaultConfig));
    return;
  }
  if ('fault' in request) {
    const options: EnqueueOptions = {};
    if (request.count !== undefined) {
      options.count = request.count as number;
    }
    if (request.match !== undefined) {
      options.match = asObject(request.match, 'fault match') as EnqueueOptions['match'];
    }
    faults.enqueue(parseFault(request.fault), options);
    return;
  }
  faults.enqueue(parseFault(request));
}

function seedDatastore(store: DatastoreStore, input: unknown): { id: string; name: string; primaryColumnName: string; itemCount: number } {
  const request = asObject(input, 'datastore');

  const name = request.name;
  const primaryColumnName = request.primaryColumnName ?? request.primary_column_name;
  if (typeof name !== 'string' || typeof primaryColumnName !== 'string') {
    throw new ControlError('invalid datastore: "name" and "primaryColumnName" must be strings');
  }
  const init: DatastoreInit = { name, primaryColumnName };
  if (typeof request.id === 'string') {
    init.id = request.id;
  }
  if (request.strategy === 'none' || request.strategy === 'uuid') {
    init.strategy = request.strategy as KeyGenerationStrategy;
  }
  if (typeof request.description === 'string') {
    init.description = request.description;
  }

  const items = request.items ?? [];
  if (!Array.isArray(items)) {
    throw new ControlError('invalid datastore: "items" must be an array of objects');
  }
  items.forEach((item, index) => {
    const key = asObject(item, `item ${index}`)[primaryColumnName];
    if (typeof key !== 'string' || key === '') {
      throw new ControlError(`invalid item ${index}: primary column "${primaryColumnName}" must be a non-empty string`);
    }
  });

  const datastore = store.createDatastore(init);
  for (const item of items as Array<Record<string, unknown>>) {
    datastore.putItem(item[primaryColumnName] as string, item);
  }
  return { id: datastore.id, name: datastore.name, primaryColumnName: datastore.primaryColumnName, itemCount: datastore.size };
}
