import * as assert from 'node:assert/strict';
import { client, v2 } from '@datadog/datadog-api-client';
import { startSimulator, type Simulator } from '../../src/simulator';

/**
 * Drives the simulator with the official Datadog TypeScript client, so any response shape the
 * client cannot deserialize fails here.
 */
describe('simulator with the official client', () => {
  let simulator: Simulator;
  let api: v2.ActionsDatastoresApi;

  beforeEach(async () => {
    simulator = await startSimulator({
      credentials: [{ apiKey: 'fake-api-key-for-tests', appKey: 'fake-app-key-for-tests' }],
    });
    const configuration = client.createConfiguration({
      baseServer: new client.BaseServerConfiguration(simulator.url, {}),
      authMethods: { apiKeyAuth: 'fake-api-key-for-tests', appKeyAuth: 'fake-app-key-for-tests' },
      enableRetry: false,
    });
    api = new v2.ActionsDatastoresApi(configuration);
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('runs the full datastore lifecycle', async () => {
    const created = await api.createDatastore({
      body: { data: { type: 'datastores', attributes: { name: 'client check', primaryColumnName: 'id', orgAccess: 'contributor' } } },
    });
    const datastoreId = created.data?.id as string;
    assert.match(datastoreId, /^[0-9a-f-]{36}$/);

    const fetched = await api.getDatastore({ datastoreId });
    assert.equal(fetched.data?.attributes?.name, 'client check');
    assert.equal(fetched.data?.attributes?.primaryColumnName, 'id');
    assert.ok(fetched.data?.attributes?.createdAt instanceof Date);

    const listed = await api.listDatastores();
    assert.equal(listed.data.length, 1);

    const renamed = await api.updateDatastore({
      datastoreId,
      body: { data: { type: 'datastores', id: datastoreId, attributes: { name: 'renamed' } } },
    });
    assert.equal(renamed.data?.attributes?.name, 'renamed');

    const written = await api.bulkWriteDatastoreItems({
      datastoreId,
      body: {
        data: {
          type: 'items',
          attributes: {
            conflictMode: 'fail_on_conflict',
            values: [
              { id: 'cust_3141', name: 'Johnathan' },
              { id: 'cust_3142', name: 'Mary' },
              { id: 'cust_3143', name: 'Ada' },
            ],
          },
        },
      },
    });
    assert.equal(written.data.length, 3);
    assert.equal(written.data[0].type, 'items');

    const page = await api.listDatastoreItems({ datastoreId, pageLimit: 2, pageOffset: 0 });
    assert.equal(page.data.length, 2);
    assert.equal(page.meta?.page?.totalCount, 3);
    assert.equal(page.meta?.page?.hasMore, true);
    assert.equal(page.meta?.schema?.primaryKey, 'id');
    assert.deepEqual(page.data[0].attributes?.value, { id: 'cust_3141', name: 'Johnathan' });

    const byKey = await api.listDatastoreItems({ datastoreId, itemKey: 'cust_3142' });
    assert.equal(byKey.data.length, 1);
    assert.equal(byKey.data[0].id, written.data[1].id);

    const updated = await api.updateDatastoreItem({
      datastoreId,
      body: { data: { type: 'items', attributes: { itemKey: 'cust_3142', itemChanges: { opsSet: { name: 'Mary Ann' } } } } },
    });
    assert.deepEqual(updated.data?.attributes?.value, { id: 'cust_3142', name: 'Mary Ann' });

    const deleted = await api.deleteDatastoreItem({
      datastoreId,
      body: { data: { type: 'items', attributes: { itemKey: 'cust_3141' } } },
    });
    assert.equal(deleted.data?.id, written.data[0].id);

    const bulkDeleted = await api.bulkDeleteDatastoreItems({
      datastoreId,
      body: { data: { type: 'items', attributes: { itemKeys: ['cust_3142', 'cust_3143'] } } },
    });
    assert.deepEqual(
      bulkDeleted.data.map((entry) => entry.id),
      [written.data[1].id, written.data[2].id],
    );

    await api.deleteDatastore({ datastoreId });
    assert.equal(simulator.store.getDatastore(datastoreId), undefined);
  });

  it('surfaces errors as the client expects', async () => {
    const datastoreId = simulator.store.createDatastore({ name: 'errors', primaryColumnName: 'id' }).id;
    const body = { data: { type: 'items' as const, attributes: { conflictMode: 'fail_on_conflict' as const, values: [{ id: 'k1' }] } } };
    await api.bulkWriteDatastoreItems({ datastoreId, body });

    // 409 is undeclared, so the client wraps the raw body in an "Unknown API Status Code" exception.
    await assert.rejects(api.bulkWriteDatastoreItems({ datastoreId, body }), (error: client.ApiException<unknown>) => {
      assert.equal(error.code, 409);
      assert.match(String(error.body), /Unknown API Status Code/);
      return true;
    });

    // 400 is declared, so the client parses the JSON:API body.
    await assert.rejects(
      api.bulkWriteDatastoreItems({ datastoreId, body: { data: { type: 'items', attributes: { values: [{ name: 'no key' }] } } } }),
      (error: client.ApiException<v2.JSONAPIErrorResponse>) => {
        assert.equal(error.code, 400);
        assert.equal(error.body.errors[0].title, 'item key missing or invalid');
        assert.equal(error.body.errors[0].source?.pointer, '/data/attributes/values/0/id');
        return true;
      },
    );

    await assert.rejects(api.getDatastore({ datastoreId: 'not-a-uuid' }), (error: client.ApiException<v2.JSONAPIErrorResponse>) => {
      assert.equal(error.code, 400);
      assert.equal(error.body.errors[0].source?.parameter, 'datastoreId');
      return true;
    });

    simulator.faults.enqueue({ kind: 'rate-limit', resetSeconds: 1 });
    await assert.rejects(api.listDatastores(), (error: client.ApiException<v2.APIErrorResponse>) => {
      assert.equal(error.code, 429);
      assert.deepEqual(error.body.errors, ['Too many requests']);
      return true;
    });
  });
});
