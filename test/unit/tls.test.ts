import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { pushCommand } from '../../src/cli/pushCommand';
import { trustedCaCertificates } from '../../src/core/api/dispatcherFactory';
import type { Simulator } from '../../src/simulator';
import { startSimulator } from '../../src/simulator';

const OPENSSL = '/usr/bin/openssl';
const KEYS = { apiKey: 'fake-api-key-tls-test-0000000000001', appKey: 'fake-app-key-tls-test-000000000000000000001' };
const DATASTORE_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
// The unit bundles live in out/test/unit; the CLI bundle is dist/cli.js at the repository root.
const REPOSITORY = resolve(__dirname, '../../..');
const CLI = join(REPOSITORY, 'dist', 'cli.js');

/** Creates a CA and a server certificate for 127.0.0.1 signed by it, in `folder`. */
function createCertificates(folder: string): { caFile: string; cert: Buffer; key: Buffer } {
  const run = (...args: string[]): void => {
    execFileSync(OPENSSL, args, { cwd: folder, stdio: 'ignore' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ddstore test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(folder, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  return { caFile: join(folder, 'ca.pem'), cert: readFileSync(join(folder, 'server.pem')), key: readFileSync(join(folder, 'server.key')) };
}

/** Runs the built CLI in its own Node process and resolves with its exit status and output. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // Only the variables a test names, so the developer's own proxy or CA settings do not leak in.
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

(existsSync(OPENSSL) && existsSync(CLI) ? describe : describe.skip)('HTTPS with a private CA', () => {
  let folder: string;
  let caFile: string;
  let simulator: Simulator;
  let file: string;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'ddstore-tls-'));
    const certificates = createCertificates(folder);
    caFile = certificates.caFile;
    simulator = await startSimulator({ credentials: [{ ...KEYS }], tls: { cert: certificates.cert, key: certificates.key } });
    simulator.store.createDatastore({ id: DATASTORE_ID, name: 'tls', primaryColumnName: 'id' });
    file = join(folder, 'items.ddstore.json');
    writeFileSync(file, JSON.stringify({ primaryKey: 'id', datastore: { id: DATASTORE_ID, site: 'datadoghq.eu' }, items: [{ id: 'a' }] }));
  });

  after(async () => {
    await simulator?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ DD_API_KEY: KEYS.apiKey, DD_APP_KEY: KEYS.appKey, DDSTORE_API_URL: simulator.url });

  it('CLI trusts NODE_EXTRA_CA_CERTS', async () => {
    const result = await runCli(['push', file, '--json', '--conflict-mode', 'overwrite_on_conflict'], { ...env(), NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal((JSON.parse(result.stdout) as { itemsWritten: number }).itemsWritten, 1);
    assert.ok(simulator.url.startsWith('https://'));
  });

  it('CLI rejects an unknown CA', async () => {
    const requestsBefore = simulator.stats.requests;
    const result = await runCli(['push', file, '--json'], env());
    assert.equal(result.code, 2, result.stdout + result.stderr);
    const output = JSON.parse(result.stdout) as { ok: boolean; error: string };
    assert.equal(output.ok, false);
    assert.match(output.error, /certificate/i);
    assert.equal(simulator.stats.requests, requestsBefore, 'a request reached the server over an unverified connection');
  });

  it('in-process CLI reads NODE_EXTRA_CA_CERTS from its environment', async () => {
    const out: string[] = [];
    const io = { env: { ...env(), NODE_EXTRA_CA_CERTS: caFile }, stdout: (text: string) => out.push(text), stderr: () => undefined };
    const code = await pushCommand(file, { json: true, conflictMode: 'overwrite_on_conflict' }, io);
    assert.equal(code, 0, out.join(''));
  });

  it('trusts the system store where Node can read it', () => {
    const certificates = trustedCaCertificates();
    const nodeHasSystemStore = typeof (tls as { getCACertificates?: unknown }).getCACertificates === 'function';
    assert.equal(certificates !== undefined, nodeHasSystemStore);
  });

  it('source never turns TLS verification off', () => {
    const offenders: string[] = [];
    const visit = (directory: string): void => {
      for (const name of readdirSync(directory)) {
        const path = join(directory, name);
        if (statSync(path).isDirectory()) {
          visit(path);
        } else if (/\.ts$/.test(name)) {
          const text = readFileSync(path, 'utf8');
          // The dispatcher factory may relax checks of an https: proxy only, never of the API host.
          if (/NODE_TLS_REJECT_UNAUTHORIZED/.test(text) || (name !== 'dispatcherFactory.ts' && /rejectUnauthorized/.test(text))) {
            offenders.push(path);
          }
        }
      }
    };
    visit(join(REPOSITORY, 'src'));
    assert.deepEqual(offenders, []);
  });
});
