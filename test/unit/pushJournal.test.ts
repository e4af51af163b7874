import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatastoreClient } from '../../src/core/api/datastoreClient';
import { requestsToResume, PushJournal } from '../../src/core/push/pushJournal';
import { runPushJob } from '../../src/core/push/pushJob';
import type { Simulator } from '../../src/simulator';
import { assertAccounted, assertStoreEquals, bulkWrites, clientFor, DATASTORE_ID, FAST_RETRIES, makeItems, PRIMARY_KEY, startPushSimulator } from './pushTestSupport';

const DATASTORE = { id: DATASTORE_ID, name: 'push-tests', primaryColumnName: PRIMARY_KEY };

function journalLines(directory: string, id: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(directory, `${id}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('push journal and resume', () => {
  let simulator: Simulator;
  let client: DatastoreClient;
  let directory: string;
  let journal: PushJournal;

  beforeEach(async () => {
    simulator = await startPushSimulator();
    client = clientFor(simulator);
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'ddstore-journal-'));
    journal = new PushJournal(directory);
  });

  afterEach(async () => {
    await client.close();
    await simulator.close();
    await fs.rm(directory, { recursive: true, force: true });
  });

  it('writes the header before the first request', async () => {
    const items = makeItems(300);
    let pushId = '';
    const seenAtFirstRequest: string[] = [];
    const outcomesAtDone: number[] = [];
    await runPushJob({
      file: 'file:///tmp/items.ddstore.json',
      text: JSON.stringify({ items }),
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal,
      tuning: { ...FAST_RETRIES, concurrency: 1 },
      onStart: (header) => {
        pushId = header.id;
      },
      observer: {
        onRequestStart: () => {
          if (seenAtFirstRequest.length === 0) {
            seenAtFirstRequest.push(...journalLines(directory, pushId).map((line) => String(line.type)));
          }
        },
        onRequestDone: () => {
          outcomesAtDone.push(journalLines(directory, pushId).filter((line) => line.type === 'outcome').length);
        },
      },
    });
    assert.deepEqual(seenAtFirstRequest, ['header']);
    assert.deepEqual(outcomesAtDone, [1, 2, 3]);
    const text = readFileSync(path.join(directory, `${pushId}.jsonl`), 'utf8');
    assert.ok(!text.includes('item-1'), 'item keys reached the journal');
    assert.equal(journalLines(directory, pushId).at(-1)?.type, 'end');
  });

  it('reads a journal cut short by a crash', async () => {
    const items = makeItems(500);
    const header = {
      id: 'crashed-push-1',
      startedAt: new Date().toISOString(),
      file: 'file:///tmp/items.ddstore.json',
      fileHash: 'x',
      site: 'datadoghq.com',
      datastoreId: DATASTORE_ID,
      conflictMode: 'fail_on_conflict' as const,
      itemCount: items.length,
      requests: [0, 1, 2, 3, 4].map((index) => ({ index, start: index * 100, end: index * 100 + 100 })),
    };
    const written = (index: number) => ({ index, start: index * 100, end: index * 100 + 100, state: 'written', durationMs: 5, attempts: 1, errors: [] });
    const text = [
      JSON.stringify({ type: 'header', header }),
      JSON.stringify({ type: 'outcome', outcome: written(0) }),
      JSON.stringify({ type: 'outcome', outcome: written(2) }),
      JSON.stringify({ type: 'outcome', outcome: written(3) }).slice(0, 40),
    ].join('\n');
    await fs.writeFile(path.join(directory, 'crashed-push-1.jsonl'), text);

    const entry = await journal.read('crashed-push-1');
    assert.ok(entry);
    assert.equal(entry.end, undefined);
    assert.deepEqual(entry.outcomes.map((outcome) => outcome.index), [0, 2]);
    const plan = requestsToResume(entry, 'unconfirmed');
    assert.deepEqual(plan.requests.map((range) => range.index), [1, 3, 4]);
    assert.deepEqual([...plan.uncertain].sort(), [1, 3, 4]);
  });

  it('resumes a crashed push with only unconfirmed requests', async () => {
    const items = makeItems(800);
    const snapshot = path.join(directory, 'snapshot');
    await fs.mkdir(snapshot);
    let pushId = '';
    let copied = false;
    // The first three requests are slow, so requests are in flight while the journal is copied. The
    // copy is what a killed extension host leaves: a header and some outcomes with no end line.
    simulator.faults.enqueue({ kind: 'delay', ms: 400 }, { count: 3, match: { method: 'POST' } });
    await runPushJob({
      file: 'file:///tmp/items.ddstore.json',
      text: JSON.stringify({ items }),
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal,
      tuning: { ...FAST_RETRIES, concurrency: 4 },
      onStart: (header) => {
        pushId = header.id;
      },
      observer: {
        onRequestDone: async () => {
          if (!copied) {
            copied = true;
            await fs.copyFile(path.join(directory, `${pushId}.jsonl`), path.join(snapshot, `${pushId}.jsonl`));
          }
        },
      },
    });
    const crashed = await new PushJournal(snapshot).read(pushId);
    assert.ok(crashed);
    assert.equal(crashed.end, undefined);
    assert.equal(crashed.outcomes.length, 1);

    const writesBefore = bulkWrites(simulator);
    const { result } = await runPushJob({
      file: 'file:///tmp/items.ddstore.json',
      text: JSON.stringify({ items }),
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal: new PushJournal(snapshot),
      tuning: FAST_RETRIES,
      resume: { entry: crashed, only: 'unconfirmed' },
    });
    // Every request had committed before the resume, so each resent one conflicts and reads back as identical.
    assert.equal(bulkWrites(simulator) - writesBefore, 7);
    assert.equal(result.outcomes.length, 7);
    assert.ok(result.outcomes.every((outcome) => outcome.state === 'written' && outcome.confirmedByReadBack));
    assert.equal(result.outcomes.flatMap((outcome) => outcome.errors).length, 0);
    assertStoreEquals(simulator, items);
    const resumed = await new PushJournal(snapshot).read(pushId);
    assert.ok(resumed?.end);
    assert.equal(resumed.outcomes.filter((outcome) => outcome.state === 'written').length, 8);
  });

  it('retries only the failed requests', async () => {
    const items = makeItems(400);
    simulator.faults.enqueue({ kind: 'html', status: 400 }, { match: { method: 'POST' } });
    const first = await runPushJob({
      file: 'file:///tmp/items.ddstore.json',
      text: 'x',
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal,
      tuning: { ...FAST_RETRIES, concurrency: 1 },
    });
    assert.equal(first.result.itemsFailed, 100);
    const entry = await journal.read(first.header.id);
    assert.ok(entry);
    const writesBefore = bulkWrites(simulator);
    const { result } = await runPushJob({
      file: 'file:///tmp/items.ddstore.json',
      text: 'x',
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal,
      tuning: FAST_RETRIES,
      resume: { entry, only: 'failed' },
    });
    assert.equal(bulkWrites(simulator) - writesBefore, 1);
    assert.deepEqual(result.outcomes.map((outcome) => [outcome.index, outcome.state]), [[0, 'written']]);
    assertStoreEquals(simulator, items);
  });

  it('keeps an uncertain request unknown when not resent', async () => {
    const items = makeItems(200);
    const header = {
      id: 'uncertain-push-1',
      startedAt: new Date().toISOString(),
      file: 'file:///tmp/items.ddstore.json',
      fileHash: 'x',
      site: 'datadoghq.com',
      datastoreId: DATASTORE_ID,
      conflictMode: 'fail_on_conflict' as const,
      itemCount: 200,
      requests: [
        { index: 0, start: 0, end: 100 },
        { index: 1, start: 100, end: 200 },
      ],
    };
    await journal.begin(header);
    const entry = await journal.read(header.id);
    assert.ok(entry);
    const controller = new AbortController();
    controller.abort();
    const { result } = await runPushJob({
      file: header.file,
      text: 'x',
      items,
      client,
      datastore: DATASTORE,
      conflictMode: 'fail_on_conflict',
      journal,
      tuning: FAST_RETRIES,
      signal: controller.signal,
      resume: { entry, only: 'unconfirmed' },
    });
    assert.deepEqual(result.outcomes.map((outcome) => outcome.state), ['unknown', 'unknown']);
    assertAccounted(result, 200);
    const after = await journal.read(header.id);
    assert.ok(after);
    assert.deepEqual([...requestsToResume(after, 'unconfirmed').uncertain], [0, 1]);
  });
});
