// Restart mid-push, in two phases of the harness (`run-tests.sh --phases restart`):
//
// restart-1 starts a simulator as a detached process, so it outlives the extension host, and
// pushes 1,000 items in 10 requests with concurrency 2. The simulator responds to the first four
// bulk writes, commits the fifth to arrive without a response, and never responds to the sixth.
// Once the journal holds the four outcomes and both requests are in flight, the test ends, and the harness
// kills code-server and its extension host with SIGKILL while the push still runs.
//
// restart-2 runs in a new code-server on the same user-data folder (so the journal in global
// storage survives) and the same workspace copy, stores the keys again (secret storage lives in
// the browser profile, which is new), resumes the push and checks what was sent.
//
// Both phases register their suites only when DDSTORE_TEST_PHASE names them, so the main suite
// does not see them.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DdstoreApi } from '../../src/extension/extension';
import type { PushCommandResult } from '../../src/extension/push/pushController';
import { activateExtension, EXTENSION_ID, storeTestKeys, TEST_KEYS, TEST_SITE, writeWorkspaceFile } from './support/testEnvironment';

const DATASTORE_ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const FILE_NAME = 'restart.ddstore.json';
const ITEM_COUNT = 1000;
const REQUEST_COUNT = 10;
/** Bulk writes that get a response before the two that stay in flight. */
const ANSWERED_REQUESTS = 4;
const BULK_WRITE = { method: 'POST', pathIncludes: '/items/bulk' };

/** What restart-1 leaves for restart-2 in DDSTORE_TEST_STATE_DIR. */
interface RestartState {
  readonly simulatorUrl: string;
  readonly simulatorPid: number;
  readonly pushId: string;
  readonly file: string;
}

interface SimulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly itemCount?: number;
}

function stateFolder(): string {
  const folder = process.env.DDSTORE_TEST_STATE_DIR;
  assert.ok(folder, 'DDSTORE_TEST_STATE_DIR is not set; run the phases through test/harness/run-tests.sh --phases restart');
  return folder;
}

function simulatorScript(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed`);
  return path.join(extension.extensionPath, 'dist', 'simulator.js');
}

function fileItems(): Array<{ code: string; index: number; label: string }> {
  return Array.from({ length: ITEM_COUNT }, (_, index) => ({ code: `k${index}`, index, label: `item ${index}` }));
}

/** Resolves once `check` returns true, checking every 25 ms. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Sends a control request to the simulator and returns the parsed JSON response. */
async function control<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/__simulator/${route}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.strictEqual(response.status, 200, `${method} /__simulator/${route} returned ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Starts `node dist/simulator.js` in its own process group, so that killing code-server's group
 * leaves it running, and registers it with the harness, which ends it after the last phase.
 */
async function startDetachedSimulator(folder: string): Promise<{ url: string; pid: number }> {
  const script = simulatorScript();
  const stdoutFile = path.join(folder, 'simulator.stdout');
  const stdout = fs.openSync(stdoutFile, 'w');
  // One line per request goes to stderr, so it needs a file that outlives the extension host too.
  const stderr = fs.openSync(path.join(folder, 'simulator.log'), 'w');
  const child = spawn(
    process.execPath,
    [script, '--port', '0', '--api-key', TEST_KEYS.apiKey, '--app-key', TEST_KEYS.appKey, '--datastore', `restart:code:${DATASTORE_ID}`],
    { detached: true, stdio: ['ignore', stdout, stderr] },
  );
  child.unref();
  fs.closeSync(stdout);
  fs.closeSync(stderr);
  assert.ok(child.pid, 'the simulator did not start');
  fs.mkdirSync(path.join(folder, 'processes'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'processes', 'simulator.json'), JSON.stringify({ pid: child.pid, marker: script }));

  let url = '';
  await until(() => {
    const firstLine = fs.readFileSync(stdoutFile, 'utf8').split('\n')[0];
    if (firstLine.endsWith('}')) {
      url = (JSON.parse(firstLine) as { url: string }).url;
    }
    return url !== '';
  }, 'the simulator to print its URL');
  return { url, pid: child.pid };
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopDetachedSimulator(folder: string, pid: number): Promise<void> {
  if (processRunning(pid)) {
    process.kill(pid, 'SIGTERM');
    await until(() => !processRunning(pid), `the simulator (pid ${pid}) to exit`, 5000);
  }
  fs.rmSync(path.join(folder, 'processes', 'simulator.json'), { force: true });
}

/** Reads the journal file of a push as raw JSON lines. */
function journalLines(api: DdstoreApi, pushId: string): Array<{ type: string; outcome?: { index: number; state: string }; requests?: number[] }> {
  assert.ok(api.testing, 'the test hooks are missing; is the extension in test mode?');
  const text = fs.readFileSync(path.join(api.testing.journalFolder, `${pushId}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string });
}

async function setUserSetting(name: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('ddstore').update(name, value, vscode.ConfigurationTarget.Global);
}

/** Lists every stored value of the datastore through the public API, as the extension would read it. */
async function storedValues(url: string): Promise<Array<Record<string, unknown>>> {
  const values: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += 100) {
    const response = await fetch(`${url}/api/v2/actions-datastores/${DATASTORE_ID}/items?page[limit]=100&page[offset]=${offset}`, {
      headers: { 'dd-api-key': TEST_KEYS.apiKey, 'dd-application-key': TEST_KEYS.appKey },
    });
    assert.strictEqual(response.status, 200, `listing items returned HTTP ${response.status}`);
    const body = (await response.json()) as { data: Array<{ attributes: { value: Record<string, unknown> } }>; meta: { page: { hasMore: boolean } } };
    values.push(...body.data.map((item) => item.attributes.value));
    if (!body.meta.page.hasMore) {
      return values;
    }
  }
}

if (process.env.DDSTORE_TEST_PHASE === 'restart-1') {
  describe('phase restart-1: push in flight', () => {
    it('journals outcomes while two hang', async () => {
      const api = await activateExtension();
      const folder = stateFolder();
      const simulator = await startDetachedSimulator(folder);
      await setUserSetting('apiUrlOverride', simulator.url);
      await setUserSetting('concurrency', 2);
      await storeTestKeys();
      await control(simulator.url, 'POST', 'faults', [
        { fault: { kind: 'delay', ms: 1 }, count: ANSWERED_REQUESTS, match: BULK_WRITE },
        // Committed at once, with the response sent only after the host is long gone.
        { fault: { kind: 'delay', ms: 600_000 }, count: 1, match: BULK_WRITE },
        // Not committed and never responded to, also for retries.
        { fault: { kind: 'hang' }, count: 100, match: BULK_WRITE },
      ]);
      const uri = writeWorkspaceFile(FILE_NAME, { primaryKey: 'code', items: fileItems() });

      void vscode.commands
        .executeCommand<PushCommandResult>('ddstore.push', uri, { site: TEST_SITE, datastoreId: DATASTORE_ID, conflictMode: 'fail_on_conflict' })
        .then((result) => console.log(`the phase 1 push ended before the kill: ${JSON.stringify(result)}`));

      let pushId = '';
      await until(async () => {
        pushId = (await api.listPushes()).find((push) => push.file.endsWith(FILE_NAME))?.id ?? '';
        return pushId !== '';
      }, 'the push to appear in the Writes view');
      await until(() => journalLines(api, pushId).filter((line) => line.type === 'outcome').length >= ANSWERED_REQUESTS, 'four journaled outcomes');
      await until(async () => {
        const stats = await control<{ faultsInjected: Record<string, number> }>(simulator.url, 'GET', 'stats');
        return (stats.faultsInjected.delay ?? 0) === ANSWERED_REQUESTS + 1 && (stats.faultsInjected.hang ?? 0) >= 1;
      }, 'both requests without a response to reach the simulator');

      const lines = journalLines(api, pushId);
      const outcomes = lines.filter((line) => line.type === 'outcome').map((line) => line.outcome!);
      assert.deepStrictEqual(
        outcomes.map((outcome) => outcome.state),
        Array(ANSWERED_REQUESTS).fill('written'),
        `journaled outcomes: ${JSON.stringify(outcomes)}`,
      );
      assert.ok(!lines.some((line) => line.type === 'end'), 'the journal already has an end record');
      const listed = (await api.listPushes()).find((push) => push.id === pushId);
      assert.strictEqual(listed?.status, 'running');

      const state: RestartState = { simulatorUrl: simulator.url, simulatorPid: simulator.pid, pushId, file: uri.toString() };
      fs.writeFileSync(path.join(folder, 'restart.json'), JSON.stringify(state));
      console.log(`phase 1 ends with push ${pushId} in flight: ${outcomes.length} of ${REQUEST_COUNT} requests done`);
    });
  });
}

if (process.env.DDSTORE_TEST_PHASE === 'restart-2') {
  describe('phase restart-2: resume after a crash', () => {
    let api: DdstoreApi;
    let state: RestartState;
    let folder: string;

    before(async () => {
      folder = stateFolder();
      const stateFile = path.join(folder, 'restart.json');
      assert.ok(fs.existsSync(stateFile), `${stateFile} is missing; phase restart-1 did not finish`);
      state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RestartState;
      api = await activateExtension();
      await setUserSetting('apiUrlOverride', state.simulatorUrl);
      await storeTestKeys();
    });

    after(async () => {
      await setUserSetting('apiUrlOverride', undefined);
      await setUserSetting('concurrency', undefined);
      await vscode.commands.executeCommand('ddstore.forgetKeys', { site: TEST_SITE });
      if (state) {
        await stopDetachedSimulator(folder, state.simulatorPid);
      }
    });

    it('shows the push as interrupted', async () => {
      const listed = (await api.listPushes()).find((push) => push.id === state.pushId);

      assert.ok(listed, `push ${state.pushId} is not in the Writes view`);
      assert.strictEqual(listed.status, 'interrupted');
      assert.strictEqual(listed.itemCount, ITEM_COUNT);
      assert.strictEqual(listed.itemsWritten, ANSWERED_REQUESTS * 100);
      assert.ok(!journalLines(api, state.pushId).some((line) => line.type === 'end'), 'the killed push has an end record');
    });

    it('resumes only unconfirmed requests', async () => {
      await control(state.simulatorUrl, 'DELETE', 'faults');
      const before = (await control<{ requests: SimulatorRequest[] }>(state.simulatorUrl, 'GET', 'requests')).requests.length;

      const result = await vscode.commands.executeCommand<PushCommandResult>('ddstore.writes.resume', state.pushId);

      assert.strictEqual(result.error, undefined);
      assert.strictEqual(result.pushId, state.pushId);
      assert.strictEqual(result.itemsWritten, ITEM_COUNT);
      const resumeLines = journalLines(api, state.pushId).filter((line) => line.type === 'resume');
      assert.strictEqual(resumeLines.length, 1);
      const unconfirmed = Array.from({ length: REQUEST_COUNT - ANSWERED_REQUESTS }, (_, i) => ANSWERED_REQUESTS + i);
      assert.deepStrictEqual(resumeLines[0].requests, unconfirmed);

      const sent = (await control<{ requests: SimulatorRequest[] }>(state.simulatorUrl, 'GET', 'requests')).requests
        .slice(before)
        .filter((entry) => entry.method === BULK_WRITE.method && entry.path.includes(BULK_WRITE.pathIncludes));
      assert.strictEqual(sent.length, unconfirmed.length, `bulk writes after the restart: ${JSON.stringify(sent)}`);
      assert.ok(sent.every((entry) => entry.itemCount === 100), `item counts: ${sent.map((entry) => entry.itemCount).join(', ')}`);
      // The request committed before the crash conflicts once; the read-back finds it stored as sent.
      assert.strictEqual(sent.filter((entry) => entry.status === 409).length, 1);
      assert.strictEqual(result.result?.stats.falseConflictsAvoided, 1);
    });

    it('reports no conflict after the resume', async () => {
      const listed = (await api.listPushes()).find((push) => push.id === state.pushId);
      assert.strictEqual(listed?.status, 'complete');
      assert.strictEqual(listed?.itemsWritten, ITEM_COUNT);

      const outcomes = journalLines(api, state.pushId)
        .filter((line) => line.type === 'outcome')
        .map((line) => line.outcome as { index: number; state: string; errors: unknown[] });
      const latest = new Map(outcomes.map((outcome) => [outcome.index, outcome]));
      assert.strictEqual(latest.size, REQUEST_COUNT);
      for (const outcome of latest.values()) {
        assert.strictEqual(outcome.state, 'written', `request ${outcome.index}: ${JSON.stringify(outcome)}`);
        assert.deepStrictEqual(outcome.errors, [], `request ${outcome.index} has item errors`);
      }
      const uri = vscode.Uri.parse(state.file);
      const conflicts = vscode.languages.getDiagnostics(uri).filter((diagnostic) => /conflict/i.test(diagnostic.message));
      assert.deepStrictEqual(conflicts.map((diagnostic) => diagnostic.message), []);
    });

    it('leaves the datastore equal to the file', async () => {
      const stored = await storedValues(state.simulatorUrl);
      const expected = fileItems();

      assert.strictEqual(stored.length, expected.length);
      const byKey = new Map(stored.map((value) => [value.code, value]));
      for (const item of expected) {
        assert.deepStrictEqual(byKey.get(item.code), item, `stored item ${item.code}`);
      }
    });
  });
}
