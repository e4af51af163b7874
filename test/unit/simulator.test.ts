import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';

const API = '/api/v2/actions-datastores';
const FAKE_KEYS = { 'DD-API-KEY': 'fake-api-key-for-tests', 'DD-APPLICATION-KEY': 'fake-app-key-for-tests' };

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(
  simulator: Simulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = FAKE_KEYS,
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${simulator.url}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function bulkBody(values: unknown[], conflictMode?: string): unknown {
  const attributes: Record<string, unknown> = { values };
  if (conflictMode !== undefined) {
    attributes.conflict_mode = conflictMode;
  }
  return { data: { type: 'items', attributes } };
}

function people(count: number, start = 0): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => ({ id: `p${start + index}`, name: `Person ${start + index}`, age: start + index }));
}

describe('simulator API', () => {
  let simulator: Simulator;
  let datastoreId: string;
  let itemsPath: string;

  async function restart(options: SimulatorOptions = {}): Promise<void> {
    await simulator?.close();
    simulator = await startSimulator(options);
    datastoreId = simulator.store.createDatastore({ name: 'people', primaryColumnName: 'id' }).id;
    itemsPath = `${API}/${datastoreId}/items`;
  }

  beforeEach(async () => {
    await restart();
  });

  afterEach(async () => {
    await simulator.close();
  });

  describe('datastore operations', () => {
    it('creates, gets, lists, updates and deletes', async () => {
      const created = await call(simulator, 'POST', API, {
        data: { type: 'datastores', attributes: { name: 'Test Datastore', primary_column_name: 'id', org_access: 'contributor' } },
      });
      assert.equal(created.status, 200);
      assert.equal(created.headers.get('content-type'), 'application/vnd.api+json');
      assert.deepEqual(Object.keys(created.json.data).sort(), ['id', 'type']);
      assert.equal(created.json.data.type, 'datastores');
      const id = created.json.data.id as string;

      const got = await call(simulator, 'GET', `${API}/${id}`);
      assert.equal(got.status, 200);
      const attributes = got.json.data.attributes;
      assert.equal(attributes.name, 'Test Datastore');
      assert.equal(attributes.description, '');
      assert.equal(attributes.primary_column_name, 'id');
      assert.equal(attributes.primary_key_generation_strategy, 'none');
      assert.equal(attributes.created_at, attributes.modified_at);
      assert.match(attributes.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(attributes.org_access, undefined);

      const listed = await call(simulator, 'GET', API);
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.json.data.map((datastore: { id: string }) => datastore.id).sort(),
        [datastoreId, id].sort(),
      );

      const updated = await call(simulator, 'PATCH', `${API}/${id}`, {
        data: { type: 'datastores', id, attributes: { name: 'updated name' } },
      });
      assert.equal(updated.status, 200);
      assert.equal(updated.json.data.attributes.name, 'updated name');
      assert.notEqual(updated.json.data.attributes.modified_at, attributes.modified_at);

      const deleted = await call(simulator, 'DELETE', `${API}/${id}`);
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.json, { data: { id, type: 'datastores' } });

      const again = await call(simulator, 'DELETE', `${API}/${id}`);
      assert.equal(again.status, 200);
      assert.equal(again.text, '');

      const missing = await call(simulator, 'GET', `${API}/${id}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.json.errors[0].title, 'datastore not found');
    });

    it('honours a client-chosen id', async () => {
      const id = '6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7';
      const created = await call(simulator, 'POST', API, {
        data: { type: 'datastores', id, attributes: { name: 'chosen', primary_column_name: 'key', primary_key_generation_strategy: 'uuid' } },
      });
      assert.equal(created.status, 200);
      assert.equal(created.json.data.id, id);
      assert.equal(simulator.store.getDatastore(id)?.strategy, 'uuid');
    });

    it('rejects invalid primary column names', async () => {
      const cases: Array<[string, RegExp]> = [
        ['0invalid_key', /^column name '0invalid_key' does not start with a letter or an underscore$/],
        ['has space', /may contain only/],
        ['x'.repeat(64), /longer than 63/],
      ];
      for (const [name, detail] of cases) {
        const reply = await call(simulator, 'POST', API, {
          data: { type: 'datastores', attributes: { name: 'bad', primary_column_name: name } },
        });
        assert.equal(reply.status, 400, name);
        assert.equal(reply.json.errors[0].title, 'datastore configuration invalid');
        assert.match(reply.json.errors[0].detail, detail);
      }
    });

    it('rejects a create without name', async () => {
      const reply = await call(simulator, 'POST', API, { data: { type: 'datastores', attributes: { primary_column_name: 'id' } } });
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors[0].status, '400');
      assert.equal(reply.json.errors[0].source.pointer, '/data/attributes/name');
    });
  });

  describe('path id checks', () => {
    const routes: Array<[string, string]> = [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['GET', '/items'],
      ['PATCH', '/items'],
      ['DELETE', '/items'],
      ['POST', '/items/bulk'],
      ['DELETE', '/items/bulk'],
    ];

    it('sends 400 for a non-UUID id on every route', async () => {
      for (const [method, suffix] of routes) {
        const reply = await call(simulator, method, `${API}/not-a-uuid${suffix}`, method === 'GET' ? undefined : {});
        assert.equal(reply.status, 400, `${method} ${suffix}`);
        assert.deepEqual(
          { title: reply.json.errors[0].title, detail: reply.json.errors[0].detail, source: reply.json.errors[0].source },
          { title: 'invalid path parameter', detail: 'invalid datastoreId format in path', source: { parameter: 'datastoreId' } },
        );
        assert.match(reply.json.errors[0].id, /^[0-9a-f-]{36}$/);
      }
    });

    it('sends 404 for an unknown UUID except on delete', async () => {
      const unknown = '00000000-0000-4000-8000-000000000001';
      for (const [method, suffix] of routes) {
        const reply = await call(simulator, method, `${API}/${unknown}${suffix}`, method === 'GET' ? undefined : {});
        const expected = method === 'DELETE' && suffix === '' ? 200 : 404;
        assert.equal(reply.status, expected, `${method} ${suffix}`);
        if (expected === 404) {
          assert.equal(reply.json.errors[0].title, 'datastore not found');
        }
      }
    });
  });

  describe('bulk write', () => {
    it('writes items and returns UUIDs in input order', async () => {
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(3), 'fail_on_conflict'));
      assert.equal(reply.status, 200);
      assert.equal(reply.json.data.length, 3);
      const stored = simulator.store.getDatastore(datastoreId);
      reply.json.data.forEach((entry: { id: string; type: string }, index: number) => {
        assert.equal(entry.type, 'items');
        assert.equal(entry.id, stored?.getItem(`p${index}`)?.id);
      });
      assert.deepEqual(simulator.store.listItems(datastoreId), people(3));
      assert.equal(simulator.stats.itemsWritten, 3);
    });

    it('accepts exactly 100 values and rejects 101', async () => {
      const accepted = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(100), 'fail_on_conflict'));
      assert.equal(accepted.status, 200);
      assert.equal(accepted.json.data.length, 100);

      const rejected = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(101, 1000), 'fail_on_conflict'));
      assert.equal(rejected.status, 400);
      assert.match(rejected.json.errors[0].detail, /101 items, the maximum is 100/);
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 100);
    });

    it('rejects the whole batch for one missing key', async () => {
      const values = [...people(2), { name: 'no key' }];
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(values, 'fail_on_conflict'));
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors.length, 1);
      const [error] = reply.json.errors;
      assert.equal(error.title, 'item key missing or invalid');
      assert.equal(error.detail, 'primary column "id" is missing');
      assert.equal(error.source.pointer, '/data/attributes/values/2/id');
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 0);
    });

    it('reports every invalid item', async () => {
      const values = [
        { id: 7 },
        { id: 'k'.repeat(257) },
        { id: 'long-field', ['f'.repeat(64)]: 1 },
        { id: 'big', blob: 'x'.repeat(100 * 1024) },
        { id: 'fine' },
      ];
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(values, 'fail_on_conflict'));
      assert.equal(reply.status, 400);
      const pointers = reply.json.errors.map((error: { source: { pointer: string } }) => error.source.pointer);
      assert.deepEqual(pointers, [
        '/data/attributes/values/0/id',
        '/data/attributes/values/1/id',
        `/data/attributes/values/2/${'f'.repeat(64)}`,
        '/data/attributes/values/3',
      ]);
      assert.equal(reply.json.errors[3].title, 'item too large');
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 0);
    });

    it('omits pointers when errorPointers is off', async () => {
      await restart({ errorPointers: false });
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody([{ name: 'no key' }], 'fail_on_conflict'));
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors[0].source, undefined);
    });

    it('rejects conflicts with 409 and names each key', async () => {
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(2), 'fail_on_conflict'));
      const values = [{ id: 'new1' }, { id: 'p1', name: 'changed' }, { id: 'new1' }];
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(values, 'fail_on_conflict'));
      assert.equal(reply.status, 409);
      assert.equal(reply.headers.get('content-type'), 'application/vnd.api+json');
      assert.equal(reply.json.errors.length, 2);
      assert.equal(reply.json.errors[0].status, '409');
      assert.equal(reply.json.errors[0].source.pointer, '/data/attributes/values/1/id');
      assert.match(reply.json.errors[0].detail, /"p1"/);
      assert.equal(reply.json.errors[1].source.pointer, '/data/attributes/values/2/id');
      assert.match(reply.json.errors[1].detail, /"new1" appears more than once/);
      assert.equal(simulator.store.getDatastore(datastoreId)?.getItem('new1'), undefined);
      assert.equal(simulator.store.getDatastore(datastoreId)?.getItem('p1')?.value.name, 'Person 1');
    });

    it('treats a missing conflict_mode as fail_on_conflict', async () => {
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1)));
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1)));
      assert.equal(reply.status, 409);
    });

    it('reports conflicts as 400 when configured', async () => {
      await restart({ conflictStatus: 400 });
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1), 'fail_on_conflict'));
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1), 'fail_on_conflict'));
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors[0].status, '400');
      assert.equal(reply.json.errors[0].title, 'item already exists');
    });

    it('overwrites whole items and keeps their UUIDs', async () => {
      const first = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(2), 'overwrite_on_conflict'));
      const createdAt = simulator.store.getDatastore(datastoreId)?.getItem('p0')?.createdAt;
      const second = await call(
        simulator,
        'POST',
        `${itemsPath}/bulk`,
        bulkBody([{ id: 'p0', replaced: true }, { id: 'p9' }], 'overwrite_on_conflict'),
      );
      assert.equal(second.status, 200);
      assert.equal(second.json.data[0].id, first.json.data[0].id);
      assert.notEqual(second.json.data[1].id, first.json.data[1].id);
      const item = simulator.store.getDatastore(datastoreId)?.getItem('p0');
      assert.deepEqual(item?.value, { id: 'p0', replaced: true });
      assert.equal(item?.createdAt, createdAt);
      assert.deepEqual(
        simulator.store.listItems(datastoreId).map((value) => value.id),
        ['p0', 'p1', 'p9'],
      );
    });

    it('enforces the row limit', async () => {
      await restart({ maxItemsPerDatastore: 3 });
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(2), 'fail_on_conflict'));
      const reply = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(2, 10), 'fail_on_conflict'));
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors[0].title, 'datastore row limit exceeded');
      const overwrite = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody([...people(2), { id: 'p2' }], 'overwrite_on_conflict'));
      assert.equal(overwrite.status, 200);
    });

    it('generates keys under the uuid strategy', async () => {
      const store = simulator.store.createDatastore({ name: 'generated', primaryColumnName: 'key', strategy: 'uuid' });
      const reply = await call(simulator, 'POST', `${API}/${store.id}/items/bulk`, bulkBody([{ data: 1 }], 'fail_on_conflict'));
      assert.equal(reply.status, 200);
      const [value] = simulator.store.listItems(store.id);
      assert.match(value.key as string, /^[0-9a-f-]{36}$/);
      const chosen = await call(simulator, 'POST', `${API}/${store.id}/items/bulk`, bulkBody([{ key: 'mine' }], 'fail_on_conflict'));
      assert.equal(chosen.status, 400);
    });

    it('rejects malformed bodies', async () => {
      const notJson = await call(simulator, 'POST', `${itemsPath}/bulk`, '{"data":');
      assert.equal(notJson.status, 400);
      assert.equal(notJson.json.errors[0].title, 'invalid request body');
      const wrongType = await call(simulator, 'POST', `${itemsPath}/bulk`, { data: { type: 'datastores', attributes: { values: [] } } });
      assert.equal(wrongType.status, 400);
      assert.equal(wrongType.json.errors[0].source.pointer, '/data/type');
      const badMode = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1), 'merge'));
      assert.equal(badMode.status, 400);
      const empty = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody([], 'fail_on_conflict'));
      assert.equal(empty.status, 400);
    });

    it('accepts a gzip request body', async () => {
      const response = await fetch(`${simulator.url}${itemsPath}/bulk`, {
        method: 'POST',
        headers: { ...FAKE_KEYS, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(bulkBody(people(2), 'fail_on_conflict'))),
      });
      assert.equal(response.status, 200);
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 2);
    });
  });

  describe('single item operations', () => {
    beforeEach(async () => {
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(3), 'fail_on_conflict'));
    });

    it('updates fields with ops_set', async () => {
      const before = simulator.store.getDatastore(datastoreId)?.getItem('p1');
      const reply = await call(simulator, 'PATCH', itemsPath, {
        data: { type: 'items', attributes: { item_key: 'p1', item_changes: { ops_set: { status: 'done', age: 99 } } } },
      });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.data.id, before?.id);
      assert.deepEqual(reply.json.data.attributes.value, { id: 'p1', name: 'Person 1', age: 99, status: 'done' });
      assert.equal(reply.json.data.attributes.store_id, datastoreId);
      assert.equal(reply.json.data.attributes.primary_column_name, 'id');
      assert.equal(typeof reply.json.data.attributes.signature, 'string');
    });

    it('accepts empty item_changes', async () => {
      const reply = await call(simulator, 'PATCH', itemsPath, { data: { type: 'items', attributes: { item_key: 'p0', item_changes: {} } } });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json.data.attributes.value, people(1)[0]);
    });

    it('refuses to change the primary key', async () => {
      const reply = await call(simulator, 'PATCH', itemsPath, {
        data: { type: 'items', attributes: { item_key: 'p0', item_changes: { ops_set: { id: 'other' } } } },
      });
      assert.equal(reply.status, 400);
      assert.equal(reply.json.errors[0].title, 'item key missing or invalid');
    });

    it('sends 404 for an unknown item key', async () => {
      const patch = await call(simulator, 'PATCH', itemsPath, {
        data: { type: 'items', attributes: { item_key: 'nobody', item_changes: { ops_set: { a: 1 } } } },
      });
      assert.equal(patch.status, 404);
      const remove = await call(simulator, 'DELETE', itemsPath, { data: { type: 'items', attributes: { item_key: 'nobody' } } });
      assert.equal(remove.status, 404);
    });

    it('deletes one item by key in the body', async () => {
      const id = simulator.store.getDatastore(datastoreId)?.getItem('p2')?.id;
      const reply = await call(simulator, 'DELETE', itemsPath, { data: { type: 'items', attributes: { item_key: 'p2' } } });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json, { data: { id, type: 'items' } });
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 2);
    });

    it('bulk deletes and skips unknown keys', async () => {
      const ids = ['p0', 'p2'].map((key) => simulator.store.getDatastore(datastoreId)?.getItem(key)?.id);
      const reply = await call(simulator, 'DELETE', `${itemsPath}/bulk`, {
        data: { type: 'items', attributes: { item_keys: ['p0', 'missing', 'p2'] } },
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json.data, ids.map((id) => ({ id, type: 'items' })));
      assert.deepEqual(simulator.store.listItems(datastoreId).map((value) => value.id), ['p1']);
    });

    it('rejects empty and oversized bulk deletes', async () => {
      const empty = await call(simulator, 'DELETE', `${itemsPath}/bulk`, { data: { type: 'items', attributes: { item_keys: [] } } });
      assert.equal(empty.status, 400);
      assert.equal(empty.json.errors[0].title, 'missing required field');
      assert.equal(empty.json.errors[0].detail, 'at least one item key is required');
      const keys = Array.from({ length: 101 }, (_, index) => `k${index}`);
      const tooMany = await call(simulator, 'DELETE', `${itemsPath}/bulk`, { data: { type: 'items', attributes: { item_keys: keys } } });
      assert.equal(tooMany.status, 400);
    });
  });

  describe('list items', () => {
    beforeEach(async () => {
      await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(25), 'fail_on_conflict'));
    });

    it('pages with bracketed parameters', async () => {
      const reply = await call(simulator, 'GET', `${itemsPath}?page[limit]=10&page[offset]=20`);
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json.data.map((item: { attributes: { value: { id: string } } }) => item.attributes.value.id), [
        'p20', 'p21', 'p22', 'p23', 'p24',
      ]);
      assert.deepEqual(reply.json.meta.page, { totalCount: 25, totalFilteredCount: 25, hasMore: false });
    });

    it('pages with percent-encoded parameters', async () => {
      const reply = await call(simulator, 'GET', `${itemsPath}?page%5Blimit%5D=10&page%5Boffset%5D=10`);
      assert.equal(reply.status, 200);
      assert.equal(reply.json.data.length, 10);
      assert.equal(reply.json.data[0].attributes.value.id, 'p10');
      assert.equal(reply.json.meta.page.hasMore, true);
    });

    it('reports the schema with upper-case types', async () => {
      const reply = await call(simulator, 'GET', `${itemsPath}?page[limit]=1`);
      assert.deepEqual(reply.json.meta.schema, {
        primary_key: 'id',
        fields: [
          { name: 'id', type: 'STRING' },
          { name: 'name', type: 'JSON' },
          { name: 'age', type: 'JSON' },
        ],
      });
    });

    it('rejects page limits outside 1..100', async () => {
      for (const limit of ['0', '101', 'abc', '1.5']) {
        const reply = await call(simulator, 'GET', `${itemsPath}?page[limit]=${limit}`);
        assert.equal(reply.status, 400, limit);
        assert.equal(reply.json.errors[0].source.parameter, 'page[limit]');
      }
    });

    it('finds zero or one item by item_key', async () => {
      const found = await call(simulator, 'GET', `${itemsPath}?item_key=p7`);
      assert.equal(found.json.data.length, 1);
      assert.equal(found.json.data[0].attributes.value.id, 'p7');
      const missing = await call(simulator, 'GET', `${itemsPath}?item_key=nobody`);
      assert.equal(missing.status, 200);
      assert.deepEqual(missing.json.data, []);
      const both = await call(simulator, 'GET', `${itemsPath}?item_key=p7&filter=age:7`);
      assert.equal(both.status, 400);
    });

    it('filters and counts matches', async () => {
      const reply = await call(simulator, 'GET', `${itemsPath}?filter=${encodeURIComponent('age:>=20 OR name:"Person 3"')}`);
      assert.equal(reply.status, 200);
      assert.deepEqual(
        reply.json.data.map((item: { attributes: { value: { id: string } } }) => item.attributes.value.id),
        ['p3', 'p20', 'p21', 'p22', 'p23', 'p24'],
      );
      assert.equal(reply.json.meta.page.totalCount, 25);
      assert.equal(reply.json.meta.page.totalFilteredCount, 6);
      const invalid = await call(simulator, 'GET', `${itemsPath}?filter=${encodeURIComponent('(age:1')}`);
      assert.equal(invalid.status, 400);
      assert.equal(invalid.json.errors[0].source.parameter, 'filter');
    });

    it('sorts ascending and descending', async () => {
      const descending = await call(simulator, 'GET', `${itemsPath}?sort=-age&page[limit]=3`);
      assert.deepEqual(descending.json.data.map((item: { attributes: { value: { age: number } } }) => item.attributes.value.age), [24, 23, 22]);
      const ascending = await call(simulator, 'GET', `${itemsPath}?sort=name&page[limit]=3`);
      assert.deepEqual(
        ascending.json.data.map((item: { attributes: { value: { name: string } } }) => item.attributes.value.name),
        ['Person 0', 'Person 1', 'Person 10'],
      );
    });
  });

  describe('authentication', () => {
    it('sends 403 Forbidden for missing keys', async () => {
      const partialHeaders: Array<Record<string, string>> = [{}, { 'DD-API-KEY': 'fake' }, { 'DD-APPLICATION-KEY': 'fake' }];
      for (const headers of partialHeaders) {
        const reply = await call(simulator, 'GET', API, undefined, headers);
        assert.equal(reply.status, 403);
        assert.deepEqual(reply.json, { errors: ['Forbidden'] });
        assert.ok(reply.headers.get('x-ratelimit-limit'));
      }
    });

    it('accepts only configured pairs', async () => {
      await restart({
        credentials: [
          { apiKey: 'fake-api-1', appKey: 'fake-app-1' },
          { apiKey: 'fake-api-2', appKey: 'fake-app-2', permissions: ['apps_datastore_read'] },
        ],
      });
      const good = await call(simulator, 'GET', API, undefined, { 'DD-API-KEY': 'fake-api-1', 'DD-APPLICATION-KEY': 'fake-app-1' });
      assert.equal(good.status, 200);
      const mixed = await call(simulator, 'GET', API, undefined, { 'DD-API-KEY': 'fake-api-1', 'DD-APPLICATION-KEY': 'fake-app-2' });
      assert.equal(mixed.status, 403);
      assert.deepEqual(mixed.json, { errors: ['Forbidden'] });

      const readOnly = { 'DD-API-KEY': 'fake-api-2', 'DD-APPLICATION-KEY': 'fake-app-2' };
      const read = await call(simulator, 'GET', `${itemsPath}`, undefined, readOnly);
      assert.equal(read.status, 200);
      const write = await call(simulator, 'POST', `${itemsPath}/bulk`, bulkBody(people(1), 'fail_on_conflict'), readOnly);
      assert.equal(write.status, 403);
      assert.match(write.json.errors[0].detail, /apps_datastore_write/);
      const manage = await call(simulator, 'DELETE', `${API}/${datastoreId}`, undefined, readOnly);
      assert.equal(manage.status, 403);
      assert.match(manage.json.errors[0].detail, /apps_datastore_manage/);
    });

    it('validates API keys on /api/v1/validate', async () => {
      await restart({ credentials: [{ apiKey: 'fake-api-1', appKey: 'fake-app-1' }] });
      const valid = await call(simulator, 'GET', '/api/v1/validate', undefined, { 'DD-API-KEY': 'fake-api-1' });
      assert.equal(valid.status, 200);
      assert.deepEqual(valid.json, { valid: true });
      const invalid = await call(simulator, 'GET', '/api/v1/validate', undefined, { 'DD-API-KEY': 'fake-api-other' });
      assert.equal(invalid.status, 403);
      assert.deepEqual(invalid.json, { errors: ['Forbidden'] });
    });

    it('masks keys in the request log', async () => {
      await call(simulator, 'GET', API);
      const entry = simulator.requestLog.at(-1);
      assert.equal(entry?.headers['dd-api-key'], '****');
      assert.equal(entry?.headers['dd-application-key'], '****');
      assert.ok(!JSON.stringify(simulator.requestLog).includes(FAKE_KEYS['DD-API-KEY']));
    });
  });

  describe('rate limiting', () => {
    it('sends the five headers on every response', async () => {
      await restart({ rateLimit: { limit: 50, periodSeconds: 10, name: 'datastore_bucket' } });
      const reply = await call(simulator, 'GET', API);
      assert.equal(reply.headers.get('x-ratelimit-limit'), '50');
      assert.equal(reply.headers.get('x-ratelimit-period'), '10');
      assert.equal(reply.headers.get('x-ratelimit-remaining'), '49');
      assert.equal(reply.headers.get('x-ratelimit-name'), 'datastore_bucket');
      const reset = Number(reply.headers.get('x-ratelimit-reset'));
      assert.ok(Number.isInteger(reset), `reset ${reset}`);
      assert.ok(reset >= 1, `reset ${reset}`);
      assert.ok(reset <= 10, `reset ${reset}`);
    });

    it('sends 429 with format B once the window is used up', async () => {
      await restart({ rateLimit: { limit: 3, periodSeconds: 60 } });
      for (let index = 0; index < 3; index += 1) {
        assert.equal((await call(simulator, 'GET', API)).status, 200);
      }
      const limited = await call(simulator, 'GET', API);
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.json, { errors: ['Too many requests'] });
      assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(Number(limited.headers.get('x-ratelimit-reset')) >= 1);
      assert.equal(simulator.stats.rateLimited, 1);
    });

    it('opens a new calendar-aligned window', async function () {
      this.timeout(5000);
      await restart({ rateLimit: { limit: 1, periodSeconds: 1 } });
      await call(simulator, 'GET', API);
      const limited = await call(simulator, 'GET', API);
      if (limited.status === 200) {
        // The first request fell at the very end of a window.
        return;
      }
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('x-ratelimit-reset'), '1');
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      assert.equal((await call(simulator, 'GET', API)).status, 200);
    });
  });

  describe('routing and connections', () => {
    it('sends 404 and 405 for unknown routes', async () => {
      assert.equal((await call(simulator, 'GET', '/api/v2/unknown')).status, 404);
      const wrongMethod = await call(simulator, 'PUT', `${itemsPath}/bulk`, {});
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'POST, DELETE');
    });

    it('serves many requests on keep-alive connections', async () => {
      const { Agent, request } = await import('undici');
      const agent = new Agent({ connections: 4, pipelining: 1 });
      try {
        const batches = Array.from({ length: 40 }, (_, batch) =>
          request(`${simulator.url}${itemsPath}/bulk`, {
            method: 'POST',
            dispatcher: agent,
            headers: { ...FAKE_KEYS, 'content-type': 'application/json' },
            body: JSON.stringify(bulkBody(people(100, batch * 100), 'fail_on_conflict')),
          }).then(async (response) => {
            await response.body.dump();
            return response.statusCode;
          }),
        );
        const statuses = await Promise.all(batches);
        assert.ok(statuses.every((status) => status === 200));
      } finally {
        await agent.close();
      }
      assert.equal(simulator.store.getDatastore(datastoreId)?.size, 4000);
      const connections = new Set(simulator.requestLog.map((entry) => entry.headers.connection));
      assert.ok(!connections.has('close'));
    });

    it('applies configured latency', async () => {
      await restart({ latencyMs: 60 });
      const started = Date.now();
      await call(simulator, 'GET', API);
      assert.ok(Date.now() - started >= 55);
    });

    it('counts requests by status', async () => {
      await call(simulator, 'GET', API);
      await call(simulator, 'GET', `${API}/bad`);
      assert.equal(simulator.stats.requests, 2);
      assert.deepEqual(simulator.stats.byStatus, { 200: 1, 400: 1 });
    });
  });
});
