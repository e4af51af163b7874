import * as assert from 'node:assert/strict';
import type { Simulator } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { resolveEndpoint } from '../../src/core/api/endpoint';
import { SecretRedactor } from '../../src/core/log';
import { checkKeys, findSitesAcceptingApiKey } from '../../src/extension/secrets/keyValidation';
import type { MetadataBackend, SecretBackend } from '../../src/extension/secrets/profileStore';
import { METADATA_KEY, ProfileStore } from '../../src/extension/secrets/profileStore';

/** Obviously fake keys; the tests never print them. */
const KEYS_A = { apiKey: 'fake-api-key-profile-a-000000000001', appKey: 'fake-app-key-profile-a-0000000000000000001' };
const KEYS_B = { apiKey: 'fake-api-key-profile-b-000000000002', appKey: 'fake-app-key-profile-b-0000000000000000002' };

class MemorySecrets implements SecretBackend {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/** Fails like VS Code's SecretStorage on Linux without a Secret Service. */
class FailingSecrets implements SecretBackend {
  private fail(): never {
    throw new Error('Cannot create an item in a locked collection');
  }
  async get(): Promise<string | undefined> {
    this.fail();
  }
  async store(): Promise<void> {
    this.fail();
  }
  async delete(): Promise<void> {
    this.fail();
  }
}

class MemoryMetadata implements MetadataBackend {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return structuredClone(this.values.get(key)) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
  }
}

function containsKey(text: string): boolean {
  return [KEYS_A, KEYS_B].some((keys) => text.includes(keys.apiKey) || text.includes(keys.appKey));
}

describe('key profiles', () => {
  it('keeps two profiles on one site, one active', async () => {
    const store = new ProfileStore(new MemorySecrets(), new MemoryMetadata(), undefined, new SecretRedactor());
    await store.save('org-a', 'datadoghq.eu', KEYS_A);
    await store.save('org-b', 'datadoghq.eu', KEYS_B);

    assert.deepEqual(
      store.list().map((p) => [p.name, p.site, p.active]),
      [
        ['org-a', 'datadoghq.eu', false],
        ['org-b', 'datadoghq.eu', true],
      ],
    );
    assert.equal((await store.activeKeys('datadoghq.eu'))?.profile, 'org-b');

    await store.activate('datadoghq.eu', 'org-a');
    const active = await store.activeKeys('datadoghq.eu');
    assert.equal(active?.profile, 'org-a');
    assert.equal(active?.keys.apiKey === KEYS_A.apiKey, true);
  });

  it('keeps profiles of different sites apart', async () => {
    const store = new ProfileStore(new MemorySecrets(), new MemoryMetadata(), undefined, new SecretRedactor());
    await store.save('work', 'datadoghq.eu', KEYS_A);
    await store.save('work', 'datadoghq.com', KEYS_B);

    assert.equal((await store.activeKeys('datadoghq.eu'))?.keys.apiKey === KEYS_A.apiKey, true);
    assert.equal((await store.activeKeys('datadoghq.com'))?.keys.apiKey === KEYS_B.apiKey, true);
    assert.equal(await store.activeKeys('us3.datadoghq.com'), undefined);
  });

  it('writes key values only to SecretStorage', async () => {
    const secrets = new MemorySecrets();
    const metadata = new MemoryMetadata();
    const store = new ProfileStore(secrets, metadata, undefined, new SecretRedactor());
    await store.save('org-a', 'datadoghq.eu', KEYS_A);

    const metadataText = JSON.stringify([...metadata.values.entries()]);
    assert.ok(metadataText.includes('org-a'), 'globalState has no profile name');
    assert.equal(containsKey(metadataText), false, 'globalState contains a key');
    assert.equal([...secrets.values.values()].some((value) => containsKey(value)), true, 'SecretStorage has no key');
  });

  it('forgets a profile and its secret', async () => {
    const secrets = new MemorySecrets();
    const metadata = new MemoryMetadata();
    const store = new ProfileStore(secrets, metadata, undefined, new SecretRedactor());
    await store.save('org-a', 'datadoghq.eu', KEYS_A);
    await store.save('org-b', 'datadoghq.eu', KEYS_B);

    assert.equal(await store.forget('datadoghq.eu', 'org-b'), true);
    assert.equal(await store.forget('datadoghq.eu', 'org-b'), false);
    assert.deepEqual(store.list().map((p) => p.name), ['org-a']);
    assert.equal((await store.activeKeys('datadoghq.eu'))?.profile, 'org-a');
    assert.equal([...secrets.values.values()].some((value) => value.includes(KEYS_B.apiKey)), false);
  });

  it('moves keys stored before profiles existed', async () => {
    const secrets = new MemorySecrets();
    await secrets.store('ddstore.keys/datadoghq.eu', JSON.stringify(KEYS_A));
    const store = new ProfileStore(secrets, new MemoryMetadata(), undefined, new SecretRedactor());

    const active = await store.activeKeys('datadoghq.eu');
    assert.equal(active?.profile, 'default');
    assert.equal(active?.keys.appKey === KEYS_A.appKey, true);
    assert.equal(secrets.values.has('ddstore.keys/datadoghq.eu'), false);
  });

  it('rejects a site that is not Datadog', async () => {
    const store = new ProfileStore(new MemorySecrets(), new MemoryMetadata(), undefined, new SecretRedactor());
    await assert.rejects(store.save('evil', 'evil.example.com', KEYS_A), (error: Error) => {
      assert.match(error.message, /"evil\.example\.com" is not a Datadog site/);
      return true;
    });
  });

  it('rejects a key with a bad format without showing it', async () => {
    const store = new ProfileStore(new MemorySecrets(), new MemoryMetadata(), undefined, new SecretRedactor());
    await assert.rejects(store.save('org', 'datadoghq.eu', { apiKey: 'fake key with spaces 000000', appKey: KEYS_A.appKey }), (error: Error) => {
      assert.match(error.message, /The API key is not valid/);
      assert.equal(error.message.includes('fake key with spaces'), false);
      return true;
    });
  });
});

describe('key profiles without an OS keyring', () => {
  it('explains the keyring failure on save', async () => {
    const store = new ProfileStore(new FailingSecrets(), new MemoryMetadata(), undefined, new SecretRedactor());
    await assert.rejects(store.save('org-a', 'datadoghq.eu', KEYS_A), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'storage-failed');
      assert.match(error.message, /locked collection/);
      assert.match(error.message, /Secret Service keyring/);
      assert.match(error.message, /password-store/);
      assert.match(error.message, /in memory/);
      assert.equal(containsKey(error.message), false);
      return true;
    });
  });

  it('explains the keyring failure on read', async () => {
    const metadata = new MemoryMetadata();
    await metadata.update(METADATA_KEY, { profiles: [{ name: 'org-a', site: 'datadoghq.eu' }], active: {} });
    const store = new ProfileStore(new FailingSecrets(), metadata, undefined, new SecretRedactor());
    await assert.rejects(store.activeKeys('datadoghq.eu'), /storage-failed|OS keyring/);
  });

  it('keeps a session-only profile in memory', async () => {
    const metadata = new MemoryMetadata();
    const store = new ProfileStore(new FailingSecrets(), metadata, undefined, new SecretRedactor());
    const saved = await store.save('org-a', 'datadoghq.eu', KEYS_A, { sessionOnly: true });

    assert.equal(saved.sessionOnly, true);
    assert.equal((await store.activeKeys('datadoghq.eu'))?.keys.apiKey === KEYS_A.apiKey, true);
    assert.equal(metadata.values.size, 0, 'a session-only profile reached globalState');
  });

  it('forgets session-only keys on reload', async () => {
    const metadata = new MemoryMetadata();
    const secrets = new MemorySecrets();
    const first = new ProfileStore(secrets, metadata, undefined, new SecretRedactor());
    await first.save('org-a', 'datadoghq.eu', KEYS_A, { sessionOnly: true });

    // A reload creates a new store over the same backends.
    const second = new ProfileStore(secrets, metadata, undefined, new SecretRedactor());
    assert.equal(await second.activeKeys('datadoghq.eu'), undefined);
    assert.deepEqual(second.list(), []);
    assert.equal(secrets.values.size, 0);
  });
});

describe('key validation', () => {
  let simulator: Simulator;
  const clientFor = (site: string, keys = KEYS_A): DatastoreClient =>
    new DatastoreClient(resolveEndpoint(site, { value: simulator.url, source: 'test' }), keys, { redactor: new SecretRedactor() });

  before(async () => {
    simulator = await startSimulator({
      credentials: [
        { ...KEYS_A },
        { apiKey: KEYS_B.apiKey, appKey: KEYS_B.appKey, permissions: ['apps_datastore_write'] },
      ],
    });
  });

  after(async () => {
    await simulator.close();
  });

  it('accepts a valid pair', async () => {
    const client = clientFor('datadoghq.eu');
    const result = await checkKeys(client);
    await client.close();
    assert.equal(result.apiKey, 'valid');
    assert.equal(result.appKey, 'valid');
    assert.equal(simulator.requestLog.some((entry) => entry.path === '/api/v1/validate'), true);
  });

  it('reports a rejected API key', async () => {
    const client = clientFor('datadoghq.eu', { apiKey: 'fake-api-key-unknown-00000000000', appKey: KEYS_A.appKey });
    const result = await checkKeys(client);
    await client.close();
    assert.equal(result.apiKey, 'rejected');
    assert.equal(result.appKey, 'not-checked');
    assert.match(result.messages[0], /belongs to another Datadog site/);
  });

  it('reports an application key without read permission', async () => {
    const client = clientFor('datadoghq.eu', KEYS_B);
    const result = await checkKeys(client);
    await client.close();
    assert.equal(result.apiKey, 'valid');
    assert.equal(result.appKey, 'rejected');
    assert.equal(containsKey(result.messages.join(' ')), false);
  });

  it('finds the other sites that accept the API key', async () => {
    const asked: string[] = [];
    const sites = await findSitesAcceptingApiKey('datadoghq.eu', (site) => {
      asked.push(site);
      return clientFor(site);
    });
    assert.equal(asked.includes('datadoghq.eu'), false);
    assert.equal(asked.length, 8);
    // The loopback override sends every site to the same simulator, which accepts the key.
    assert.deepEqual(sites, asked);
  });
});
