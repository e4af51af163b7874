import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type RequestLogEntry, type SimulatorOptions, startSimulator } from './server';
import type { DatastoreInit } from './store';
import { isUuid } from './store';
import { columnNameProblem } from './validation';

const USAGE = `Usage: node dist/simulator.js [options]

Runs a local imitation of the Datadog Actions Datastores API (v2) for tests and demos.

Options:
  --port N                       TCP port to listen on (default 0: a free port)
  --host H                       address to bind (default 127.0.0.1)
  --api-key K --app-key K        the only key pair accepted (default: any non-empty pair)
  --datastore NAME:COLUMN[:UUID] create a datastore at start; repeat for more
  --rate-limit N --period S      allow N requests per calendar-aligned window of S seconds
  --latency MS                   delay every API response by MS milliseconds
  --conflict-status 409|400      status of a fail_on_conflict conflict (default 409)
  --tls-cert FILE --tls-key FILE serve HTTPS with this PEM certificate and key
  --seed N                       seed for random faults
  --help                         print this text

On start, prints one JSON line to stdout: {"url":...,"datastores":[{"id","name","primaryColumnName"}]}.
Then logs one line per request to stderr. Faults and resets: see docs/simulator.md.`;

class UsageError extends Error {}

function parseInteger(value: string | undefined, option: string, min: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new UsageError(`invalid ${option} "${value}": expected an integer >= ${min}`);
  }
  return number;
}

function parseDatastore(spec: string): DatastoreInit {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '') {
    throw new UsageError(`invalid --datastore "${spec}": expected NAME:PRIMARY_COLUMN or NAME:PRIMARY_COLUMN:UUID`);
  }
  const [name, primaryColumnName, id] = parts;
  const problem = columnNameProblem(primaryColumnName);
  if (problem !== undefined) {
    throw new UsageError(`invalid --datastore "${spec}": ${problem}`);
  }
  if (id !== undefined && !isUuid(id)) {
    throw new UsageError(`invalid --datastore "${spec}": "${id}" is not a UUID`);
  }
  return id === undefined ? { name, primaryColumnName } : { name, primaryColumnName, id };
}

/** Translates command-line arguments into simulator options. Throws `UsageError`. */
function parseOptions(args: string[]): SimulatorOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'app-key': { type: 'string' },
      datastore: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      period: { type: 'string' },
      latency: { type: 'string' },
      'conflict-status': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    return 'help';
  }

  const options: SimulatorOptions = {
    port: parseInteger(values.port, '--port', 0) ?? 0,
    host: values.host ?? '127.0.0.1',
    latencyMs: parseInteger(values.latency, '--latency', 0),
    seed: parseInteger(values.seed, '--seed', 0),
    datastores: (values.datastore ?? []).map(parseDatastore),
  };
  if ((values['api-key'] === undefined) !== (values['app-key'] === undefined)) {
    throw new UsageError('--api-key and --app-key must be given together');
  }
  if (values['api-key'] !== undefined && values['app-key'] !== undefined) {
    options.credentials = [{ apiKey: values['api-key'], appKey: values['app-key'] }];
  }
  const limit = parseInteger(values['rate-limit'], '--rate-limit', 0);
  if (limit !== undefined) {
    options.rateLimit = { limit, periodSeconds: parseInteger(values.period, '--period', 1) ?? 10 };
  } else if (values.period !== undefined) {
    throw new UsageError('--period needs --rate-limit');
  }
  if (values['conflict-status'] !== undefined) {
    if (values['conflict-status'] !== '409' && values['conflict-status'] !== '400') {
      throw new UsageError(`invalid --conflict-status "${values['conflict-status']}": expected 409 or 400`);
    }
    options.conflictStatus = Number(values['conflict-status']) as 409 | 400;
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key must be given together');
  }
  if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
    options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
  }
  return options;
}

/** Formats one stderr line per request. Header values, and so the keys, are never printed. */
function formatLogLine(entry: RequestLogEntry): string {
  const parts = [new Date().toISOString(), entry.method, entry.path, String(entry.status), `${entry.durationMs}ms`];
  if (entry.itemCount !== undefined) {
    parts.push(`items=${entry.itemCount}`);
  }
  if (entry.fault !== undefined) {
    parts.push(`fault=${entry.fault}`);
  }
  return parts.join(' ');
}

async function main(): Promise<void> {
  let options: SimulatorOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`simulator: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  options.onRequest = (entry) => process.stderr.write(`${formatLogLine(entry)}\n`);
  const simulator = await startSimulator(options);
  // Handlers go first: a parent may send a signal as soon as it reads the banner line.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    process.stderr.write(`simulator: ${signal} received, stopping\n`);
    simulator.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`simulator: failed to close: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const datastores = simulator.store.listDatastores().map((datastore) => ({
    id: datastore.id,
    name: datastore.name,
    primaryColumnName: datastore.primaryColumnName,
  }));
  process.stdout.write(`${JSON.stringify({ url: simulator.url, datastores })}\n`);
  process.stderr.write(`simulator: listening on ${simulator.url}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`simulator: failed to start: ${error.message}\n`);
  process.exit(1);
});
