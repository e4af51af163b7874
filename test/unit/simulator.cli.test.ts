import * as assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

// The bundled test runs from out/test/unit, and `node esbuild.mjs` writes the CLI to dist/.
const SIMULATOR_JS = resolve(__dirname, '../../../dist/simulator.js');
const DATASTORE_ID = '11111111-2222-4333-8444-555555555555';

interface Started {
  child: ChildProcessWithoutNullStreams;
  banner: { url: string; datastores: Array<{ id: string; name: string; primaryColumnName: string }> };
  stderr: string[];
}

function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [SIMULATOR_JS, ...args]);
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolvePromise({ child, banner: JSON.parse(line), stderr }));
    child.once('exit', (code) => reject(new Error(`simulator exited with code ${code}: ${stderr.join('\n')}`)));
  });
}

function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
}

describe('simulator command line', function () {
  this.timeout(10_000);

  before(function () {
    if (!existsSync(SIMULATOR_JS)) {
      this.skip();
    }
  });

  it('prints one JSON line and logs requests without keys', async () => {
    const { child, banner, stderr } = await startCli([
      '--api-key', 'fake-cli-api-key',
      '--app-key', 'fake-cli-app-key',
      '--datastore', `people:id:${DATASTORE_ID}`,
      '--datastore', 'orders:order_id',
      '--rate-limit', '100',
      '--period', '10',
    ]);
    try {
      assert.match(banner.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(banner.datastores.length, 2);
      assert.deepEqual(banner.datastores[0], { id: DATASTORE_ID, name: 'people', primaryColumnName: 'id' });
      assert.equal(banner.datastores[1].primaryColumnName, 'order_id');

      const response = await fetch(`${banner.url}/api/v2/actions-datastores/${DATASTORE_ID}/items/bulk`, {
        method: 'POST',
        headers: { 'DD-API-KEY': 'fake-cli-api-key', 'DD-APPLICATION-KEY': 'fake-cli-app-key', 'content-type': 'application/json' },
        body: JSON.stringify({ data: { type: 'items', attributes: { conflict_mode: 'fail_on_conflict', values: [{ id: 'a' }] } } }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-ratelimit-limit'), '100');
      const denied = await fetch(`${banner.url}/api/v2/actions-datastores`, {
        headers: { 'DD-API-KEY': 'fake-other', 'DD-APPLICATION-KEY': 'fake-other' },
      });
      assert.equal(denied.status, 403);

      const stats = (await (await fetch(`${banner.url}/__simulator/stats`)).json()) as { itemsWritten: number };
      assert.equal(stats.itemsWritten, 1);

      await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
      const log = stderr.join('\n');
      assert.match(log, /POST \/api\/v2\/actions-datastores\/\S+\/items\/bulk 200 .* items=1/);
      assert.match(log, /GET \/api\/v2\/actions-datastores 403/);
      assert.ok(!log.includes('fake-cli-api-key'));
      assert.ok(!log.includes('fake-cli-app-key'));
    } finally {
      const exited = exitCode(child);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  it('exits cleanly on SIGINT', async () => {
    const { child } = await startCli([]);
    const exited = exitCode(child);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  it('prints usage for --help and rejects bad options', () => {
    const help = spawnSync(process.execPath, [SIMULATOR_JS, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--datastore NAME:COLUMN\[:UUID\]/);

    const bad = spawnSync(process.execPath, [SIMULATOR_JS, '--datastore', 'people:0bad'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /does not start with a letter/);

    const halfKeys = spawnSync(process.execPath, [SIMULATOR_JS, '--api-key', 'fake-only'], { encoding: 'utf8' });
    assert.equal(halfKeys.status, 2);
  });
});
