import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ValidateProfileResult } from '../../src/extension/commands/keyCommands';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import type { KeyProfile } from '../../src/extension/secrets/profileStore';
import type { Simulator } from '../../src/simulator';
import { activateExtension, startTestSimulator, stopTestSimulator, TEST_KEYS, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

/** A second obviously fake pair for another organization on the same site. */
const OTHER_KEYS = { apiKey: 'fake-api-key-other-org-000000000003', appKey: 'fake-app-key-other-org-0000000000000000003' };
const UNKNOWN_KEYS = { apiKey: 'fake-api-key-unknown-org-0000000004', appKey: 'fake-app-key-unknown-org-00000000000000004' };
const DATASTORE_ID = '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b';

describe('key profile commands', () => {
  let simulator: Simulator;

  before(async () => {
    await activateExtension();
    // Only OTHER_KEYS may write to the datastore, so a push shows which profile was used.
    simulator = await startTestSimulator({
      credentials: [{ ...TEST_KEYS, permissions: ['apps_datastore_read'] }, { ...OTHER_KEYS }],
    });
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'profiles', primaryColumnName: 'id' });
  });

  after(async () => {
    await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
    await stopTestSimulator(simulator);
  });

  it('adds two profiles on one site', async () => {
    const first = await vscode.commands.executeCommand<KeyProfile>('ddstore.addProfile', { name: 'org-a', site: TEST_SITE, ...TEST_KEYS });
    const second = await vscode.commands.executeCommand<KeyProfile>('ddstore.addProfile', { name: 'org-b', site: TEST_SITE, ...OTHER_KEYS });
    assert.strictEqual(first.name, 'org-a');
    assert.strictEqual(second.name, 'org-b');
    assert.strictEqual(second.active, true);
    assert.strictEqual(second.sessionOnly, false);
  });

  it('pushes with the active profile', async () => {
    const uri = writeWorkspaceFile('profiles.ddstore.json', { primaryKey: 'id', items: [{ id: 'one' }] });
    await vscode.commands.executeCommand('ddstore.switchProfile', { site: TEST_SITE, name: 'org-a' });
    const withReadOnly = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: DATASTORE_ID,
      conflictMode: 'overwrite_on_conflict',
    });
    assert.strictEqual(withReadOnly.itemsWritten, 0, 'org-a has no write permission but wrote');

    const switched = await vscode.commands.executeCommand<boolean>('ddstore.switchProfile', { site: TEST_SITE, name: 'org-b' });
    assert.strictEqual(switched, true);
    const withWriter = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: DATASTORE_ID,
      conflictMode: 'overwrite_on_conflict',
    });
    assert.strictEqual(withWriter.error, undefined);
    assert.strictEqual(withWriter.itemsWritten, 1);
  });

  it('rejects switching to an unknown profile', async () => {
    const switched = await vscode.commands.executeCommand<boolean>('ddstore.switchProfile', { site: TEST_SITE, name: 'missing' });
    assert.strictEqual(switched, false);
  });

  it('validates a working profile', async () => {
    const before = simulator.requestLog.length;
    const result = await vscode.commands.executeCommand<ValidateProfileResult>('ddstore.validateProfile', { site: TEST_SITE, name: 'org-b' });
    assert.strictEqual(result.apiKey, 'valid');
    assert.strictEqual(result.appKey, 'valid');
    const paths = simulator.requestLog.slice(before).map((entry) => `${entry.method} ${entry.path}`);
    assert.deepStrictEqual(paths, ['GET /api/v1/validate', 'GET /api/v2/actions-datastores']);
  });

  it('reports a rejected API key without asking other sites', async () => {
    await vscode.commands.executeCommand('ddstore.addProfile', { name: 'stranger', site: TEST_SITE, ...UNKNOWN_KEYS });
    const before = simulator.requestLog.length;
    const result = await vscode.commands.executeCommand<ValidateProfileResult>('ddstore.validateProfile', {
      site: TEST_SITE,
      name: 'stranger',
      checkOtherSites: false,
    });
    assert.strictEqual(result.apiKey, 'rejected');
    assert.strictEqual(result.otherSites, undefined);
    assert.match(result.messages.join(' '), /belongs to another Datadog site/);
    assert.strictEqual(simulator.requestLog.length - before, 1, 'more than the one validate request was sent');
  });

  it('checks other sites when agreed', async () => {
    const before = simulator.requestLog.length;
    const result = await vscode.commands.executeCommand<ValidateProfileResult>('ddstore.validateProfile', {
      site: TEST_SITE,
      name: 'stranger',
      checkOtherSites: true,
    });
    assert.strictEqual(result.apiKey, 'rejected');
    // The override sends every site to this simulator, which rejects the key everywhere.
    assert.deepStrictEqual(result.otherSites, []);
    const validations = simulator.requestLog.slice(before).filter((entry) => entry.path === '/api/v1/validate');
    assert.strictEqual(validations.length, 9, 'expected one validate request for this site and one per other site');
    assert.match(result.messages.join(' '), /No other Datadog site accepts the API key/);
  });

  it('forgets one profile', async () => {
    const forgotten = await vscode.commands.executeCommand<boolean>('ddstore.forgetProfile', { site: TEST_SITE, name: 'stranger' });
    assert.strictEqual(forgotten, true);
    const again = await vscode.commands.executeCommand<ValidateProfileResult | undefined>('ddstore.validateProfile', { site: TEST_SITE, name: 'stranger' });
    assert.strictEqual(again, undefined);
  });

  it('setKeys writes into the active profile', async () => {
    await vscode.commands.executeCommand('ddstore.switchProfile', { site: TEST_SITE, name: 'org-a' });
    const stored = await vscode.commands.executeCommand<boolean>('ddstore.setKeys', { site: TEST_SITE, ...OTHER_KEYS });
    assert.strictEqual(stored, true);
    const result = await vscode.commands.executeCommand<ValidateProfileResult>('ddstore.validateProfile', { site: TEST_SITE, name: 'org-a' });
    assert.strictEqual(result.appKey, 'valid');
  });

  it('forgetKeys removes every profile of the site', async () => {
    const removed = await vscode.commands.executeCommand<boolean>('ddstore.forgetKeys', { site: TEST_SITE });
    assert.strictEqual(removed, true);
    const uri = writeWorkspaceFile('profiles.ddstore.json', { primaryKey: 'id', items: [{ id: 'two' }] });
    const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.push', uri, {
      site: TEST_SITE,
      datastoreId: DATASTORE_ID,
      conflictMode: 'overwrite_on_conflict',
    });
    assert.match(result.error ?? '', /No keys are stored/);
  });
});
