// Push throughput benchmark: ddstore's push engine against the official Datadog client in a
// sequential loop, both writing to the local simulator with a fixed latency per request.
//
// Run alone: node out/test/bench/push.js [--items N] [--latency MS] [--limit N --period S] [--concurrency N]
// The same values can come from DDSTORE_BENCH_ITEMS, DDSTORE_BENCH_LATENCY_MS, DDSTORE_BENCH_LIMIT,
// DDSTORE_BENCH_PERIOD_S and DDSTORE_BENCH_CONCURRENCY. Without any, it runs the default scenarios.
import { client as ddClient, v2 } from '@datadog/datadog-api-client';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DatastoreClient } from '../../src/core/api/datastoreClient';
import { PUSH_DEFAULTS, runPush } from '../../src/core/push/pushEngine';
import { MAX_ITEMS_PER_REQUEST } from '../../src/core/push/pushPlan';

const DATASTORE_ID = '5e1d2c3b-4a59-4687-b7c6-d5e4f3a2b1c0';
/** Obviously fake keys, accepted by a simulator without credentials. */
const FAKE_KEY = 'fake-bench-key-000000000000';

export interface PushScenario {
  readonly items: number;
  readonly latencyMs: number;
  /** Requests per period; undefined for no rate limit. */
  readonly limit?: number;
  readonly periodSeconds: number;
  readonly concurrency: number;
  /** False skips the official client, which takes items / 100 × latency at least. */
  readonly official: boolean;
}

interface Measurement {
  readonly client: string;
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly max429PerWindow: number;
  readonly stored: number;
}

export const DEFAULT_SCENARIOS: readonly PushScenario[] = [
  { items: 20_000, latencyMs: 50, periodSeconds: 1, concurrency: PUSH_DEFAULTS.concurrency, official: true },
  { items: 20_000, latencyMs: 50, limit: 20, periodSeconds: 1, concurrency: PUSH_DEFAULTS.concurrency, official: true },
  { items: 20_000, latencyMs: 10, limit: 40, periodSeconds: 2, concurrency: PUSH_DEFAULTS.concurrency, official: false },
];

function makeItems(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, n) => ({ id: `bench-${n}`, name: `Item ${n}`, n, tags: ['a', 'b'], nested: { even: n % 2 === 0 } }));
}

/** items/s a push can reach at most: the smaller of the rate limit and the latency bound. */
export function ceilingOf(scenario: PushScenario): number {
  const byLatency = (MAX_ITEMS_PER_REQUEST * scenario.concurrency) / (scenario.latencyMs / 1000);
  const byLimit = scenario.limit === undefined ? Number.POSITIVE_INFINITY : (MAX_ITEMS_PER_REQUEST * scenario.limit) / scenario.periodSeconds;
  return Math.min(byLatency, byLimit);
}

interface ChildSimulator {
  readonly url: string;
  stats(): Promise<{ requests: number; rateLimited: number; itemsWritten: number }>;
  close(): Promise<void>;
}

/**
 * Starts `dist/simulator.js` in its own process, so the simulator's CPU time does not slow the
 * client down: in one process both share one thread.
 */
async function startChildSimulator(scenario: PushScenario): Promise<ChildSimulator> {
  const script = join(__dirname, '..', '..', '..', 'dist', 'simulator.js');
  const args = [script, '--latency', String(scenario.latencyMs), '--datastore', `bench:id:${DATASTORE_ID}`];
  if (scenario.limit !== undefined) {
    args.push('--rate-limit', String(scenario.limit), '--period', String(scenario.periodSeconds));
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout }), 'line'), exited.then(() => [undefined])])) as [string | undefined];
  if (line === undefined) {
    throw new Error(`${script} exited before it printed its URL; run \`node esbuild.mjs\` first`);
  }
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    stats: () =>
      new Promise((resolve, reject) => {
        // node:http instead of fetch: Node 20's fetch fails once the bundled undici 7 is loaded.
        get(`${url}/__simulator/stats`, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          response.on('error', reject);
        }).on('error', reject);
      }),
    close: async () => {
      child.kill();
      await exited;
    },
  };
}

async function measure(scenario: PushScenario, which: 'ddstore' | 'official'): Promise<Measurement> {
  const simulator = await startChildSimulator(scenario);
  // 429s counted per rate-limit window, by the time the client received them.
  const windows = new Map<number, number>();
  const count429 = (): void => {
    const window = Math.floor((Date.now() - scenario.latencyMs) / (scenario.periodSeconds * 1000));
    windows.set(window, (windows.get(window) ?? 0) + 1);
  };
  const items = makeItems(scenario.items);
  let seconds: number;
  try {
    const started = performance.now();
    if (which === 'ddstore') {
      const api = new DatastoreClient({ origin: simulator.url, site: 'datadoghq.com', overridden: true }, { apiKey: FAKE_KEY, appKey: FAKE_KEY }, {
        connections: scenario.concurrency,
      });
      const result = await runPush({
        client: {
          endpoint: api.endpoint,
          findItemByKey: (...args) => api.findItemByKey(...args),
          bulkWrite: async (...args) => {
            const answer = await api.bulkWrite(...args);
            if (answer.status === 429) {
              count429();
            }
            return answer;
          },
        },
        datastoreId: DATASTORE_ID,
        items,
        conflictMode: 'overwrite_on_conflict',
        primaryKey: 'id',
        concurrency: scenario.concurrency,
      });
      await api.close();
      if (result.itemsWritten !== items.length) {
        throw new Error(`ddstore wrote ${result.itemsWritten} of ${items.length} items`);
      }
    } else {
      const configuration = ddClient.createConfiguration({
        baseServer: new ddClient.BaseServerConfiguration(simulator.url, {}),
        authMethods: { apiKeyAuth: FAKE_KEY, appKeyAuth: FAKE_KEY },
        enableRetry: true,
      });
      const api = new v2.ActionsDatastoresApi(configuration);
      for (let start = 0; start < items.length; start += MAX_ITEMS_PER_REQUEST) {
        await api.bulkWriteDatastoreItems({
          datastoreId: DATASTORE_ID,
          body: {
            data: { type: 'items', attributes: { values: items.slice(start, start + MAX_ITEMS_PER_REQUEST), conflictMode: 'overwrite_on_conflict' } },
          },
        });
      }
    }
    seconds = (performance.now() - started) / 1000;
    const stats = await simulator.stats();
    return {
      client: which === 'ddstore' ? `ddstore (concurrency ${scenario.concurrency})` : 'official client, sequential',
      seconds,
      itemsPerSecond: scenario.items / seconds,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      // The official client retries a 429 inside its call, so only the total is known for it.
      max429PerWindow: which === 'ddstore' ? Math.max(0, ...windows.values()) : stats.rateLimited === 0 ? 0 : Number.NaN,
      stored: stats.itemsWritten,
    };
  } finally {
    await simulator.close();
  }
}

function describeScenario(scenario: PushScenario): string {
  const limit = scenario.limit === undefined ? 'no rate limit' : `${scenario.limit} requests / ${scenario.periodSeconds} s`;
  return `${scenario.items.toLocaleString('en-US')} items, ${scenario.latencyMs} ms, ${limit}`;
}

export function machineDescription(): string {
  return `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}`;
}

/** Runs the scenarios and returns a markdown table. */
export async function runPushBenchmark(
  scenarios: readonly PushScenario[] = DEFAULT_SCENARIOS,
  log: (line: string) => void = () => undefined,
): Promise<string> {
  const rows: string[] = [];
  for (const scenario of scenarios) {
    const ceiling = ceilingOf(scenario);
    log(`push benchmark: ${describeScenario(scenario)}: ddstore`);
    const ours = await measure(scenario, 'ddstore');
    const official = scenario.official ? (log(`push benchmark: ${describeScenario(scenario)}: official client`), await measure(scenario, 'official')) : undefined;
    for (const run of official ? [ours, official] : [ours]) {
      const speedup = official ? `${(run.itemsPerSecond / official.itemsPerSecond).toFixed(1)}×` : '–';
      rows.push(
        `| ${describeScenario(scenario)} | ${run.client} | ${run.seconds.toFixed(2)} | ${Math.round(run.itemsPerSecond).toLocaleString('en-US')} | ` +
          `${Math.round(ceiling).toLocaleString('en-US')} | ${((100 * run.itemsPerSecond) / ceiling).toFixed(0)}% | ${speedup} | ` +
          `${run.requests} | ${run.rateLimited} | ${Number.isNaN(run.max429PerWindow) ? 'n/a' : run.max429PerWindow} | ${run.stored.toLocaleString('en-US')} |`,
      );
    }
  }
  return [
    `Push benchmark on ${machineDescription()}.`,
    '',
    '| Scenario | Client | Time (s) | Items/s | Ceiling (items/s) | % of ceiling | vs official client | Requests | 429s | Max 429s in one window | Items written |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function scenarioFromArguments(): PushScenario | undefined {
  const { values } = parseArgs({
    options: {
      items: { type: 'string' },
      latency: { type: 'string' },
      limit: { type: 'string' },
      period: { type: 'string' },
      concurrency: { type: 'string' },
      'no-official': { type: 'boolean' },
    },
  });
  const env = process.env;
  const read = (flag: string | undefined, variable: string): number | undefined => {
    const text = flag ?? env[variable];
    if (text === undefined || text === '') {
      return undefined;
    }
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`invalid value "${text}" for ${variable}: expected a non-negative number`);
    }
    return value;
  };
  const items = read(values.items, 'DDSTORE_BENCH_ITEMS');
  const latencyMs = read(values.latency, 'DDSTORE_BENCH_LATENCY_MS');
  const limit = read(values.limit, 'DDSTORE_BENCH_LIMIT');
  const periodSeconds = read(values.period, 'DDSTORE_BENCH_PERIOD_S');
  const concurrency = read(values.concurrency, 'DDSTORE_BENCH_CONCURRENCY');
  if ([items, latencyMs, limit, periodSeconds, concurrency].every((value) => value === undefined)) {
    return undefined;
  }
  return {
    items: items ?? 20_000,
    latencyMs: latencyMs ?? 50,
    limit,
    periodSeconds: periodSeconds ?? 1,
    concurrency: concurrency ?? PUSH_DEFAULTS.concurrency,
    official: values['no-official'] !== true,
  };
}

// The bundle of index.ts contains this file too, so the file name decides whether it runs alone.
if (require.main === module && /push\.js$/.test(process.argv[1] ?? '')) {
  const scenario = scenarioFromArguments();
  void runPushBenchmark(scenario ? [scenario] : DEFAULT_SCENARIOS, (line) => process.stderr.write(`${line}\n`)).then(
    (table) => process.stdout.write(`${table}\n`),
    (error: unknown) => {
      process.stderr.write(`push benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
