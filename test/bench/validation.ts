// Benchmark: full validation of generated .ddstore.json files by ddstore and by
// vscode-json-languageservice against the same schema. Each measurement runs in a child
// process, so its peak RSS (process.resourceUsage().maxRSS) is not shared with other cases.
// The extension validates files of 1 MB or more in a worker thread (dist/validationWorker.js),
// and smaller ones with the async variant in the extension host, so both are measured for how
// long they block the calling thread's event loop.
// Run: node esbuild.mjs && node out/test/bench/validation.js
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '../../src/core/log';
import { validateDdstoreText, validateDdstoreTextAsync } from '../../src/core/validation/validate';
import { WorkerValidator } from '../../src/extension/editor/workerValidator';

type Engine = 'ddstore' | 'ddstore-async' | 'ddstore-worker' | 'vscode-json-languageservice';
const ENGINES: readonly Engine[] = ['ddstore', 'ddstore-async', 'ddstore-worker', 'vscode-json-languageservice'];

interface Measurement {
  readonly milliseconds: number;
  /** Peak resident set size of the child process, in bytes. */
  readonly peakRss: number;
  /** Resident set size after the file was read and before validation, in bytes. */
  readonly baselineRss: number;
  readonly diagnostics: number;
  /** Longest time the calling thread's event loop was blocked, in milliseconds. */
  readonly maxBlockMs: number;
}

const SIZES = [10_000, 100_000];
const DDSTORE_RUNS = 3;
const VSCODE_RUNS = 1;

/** Writes a realistic ddstore file: one item per line, about 200 bytes each. */
function writeItemsFile(path: string, count: number): void {
  const lines: string[] = [];
  const cities = ['Paris', 'Berlin', 'Tokyo', 'São Paulo', 'New York', 'Zürich'];
  for (let i = 0; i < count; i++) {
    const item = {
      id: `cust_${String(i).padStart(7, '0')}`,
      name: `Customer ${i}`,
      email: `customer${i}@example.com`,
      plan: i % 3 === 0 ? 'pro' : 'free',
      seats: i % 250,
      active: i % 7 !== 0,
      city: cities[i % cities.length],
      tags: ['imported', i % 2 === 0 ? 'even' : 'odd'],
      created_at: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    };
    lines.push(`    ${JSON.stringify(item)}`);
  }
  const text =
    '{\n  "datastore": {"site": "datadoghq.com", "id": "6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7"},\n' +
    `  "primaryKey": "id",\n  "conflictMode": "fail_on_conflict",\n  "items": [\n${lines.join(',\n')}\n  ]\n}\n`;
  writeFileSync(path, text);
}

async function measureInThisProcess(engine: Engine, file: string): Promise<Measurement> {
  const text = readFileSync(file, 'utf8');
  // The worker thread starts before the clock, as it does once per extension host session.
  const worker = engine === 'ddstore-worker' ? new WorkerValidator(silentLogger, join(process.cwd(), 'dist/validationWorker.js')) : undefined;
  if (worker) {
    await worker.validate('[]', {});
  }
  const baselineRss = process.memoryUsage().rss;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The histogram's timer records nothing until it has fired once, so a block right after
  // enable() would go unseen.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const start = process.hrtime.bigint();
  let diagnostics: number;
  if (engine === 'ddstore') {
    diagnostics = validateDdstoreText(text).diagnostics.length;
  } else if (engine === 'ddstore-async') {
    diagnostics = (await validateDdstoreTextAsync(text)).diagnostics.length;
  } else if (worker) {
    diagnostics = (await worker.validate(text, {})).diagnostics.length;
  } else {
    diagnostics = await validateWithLanguageService(text);
  }
  const milliseconds = Number(process.hrtime.bigint() - start) / 1e6;
  delay.disable();
  worker?.dispose();
  // A synchronous engine blocks for the whole run. The language service's block is not
  // reported: its numbers from the histogram were implausibly low and were not investigated.
  const maxBlockMs = engine === 'ddstore' ? milliseconds : delay.max / 1e6;
  return { milliseconds, peakRss: process.resourceUsage().maxRSS * 1024, baselineRss, diagnostics, maxBlockMs };
}

/** Validates like VS Code's JSON language service does for an open file with the schema. */
async function validateWithLanguageService(text: string): Promise<number> {
  // Loaded from node_modules at run time: the package's UMD build cannot be bundled.
  const requireFromProject = createRequire(join(process.cwd(), 'package.json'));
  const service = requireFromProject('vscode-json-languageservice') as typeof import('vscode-json-languageservice');
  const { TextDocument } = requireFromProject(
    'vscode-languageserver-textdocument',
  ) as typeof import('vscode-languageserver-textdocument');
  const schema: unknown = JSON.parse(readFileSync(join(process.cwd(), 'media/ddstore.schema.json'), 'utf8'));
  const languageService = service.getLanguageService({});
  languageService.configure({
    validate: true,
    allowComments: false,
    schemas: [{ uri: 'inmemory://ddstore.schema.json', fileMatch: ['*.ddstore.json'], schema: schema as never }],
  });
  const document = TextDocument.create('file:///bench/items.ddstore.json', 'json', 1, text);
  const jsonDocument = languageService.parseJSONDocument(document);
  const diagnostics = await languageService.doValidation(document, jsonDocument);
  return diagnostics.length;
}

function measureInChild(engine: Engine, file: string): Measurement {
  const output = execFileSync(process.execPath, [__filename, '--child', engine, file], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(output) as Measurement;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function machineDescription(): string {
  let cpu = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    cpu = model?.[1] ?? cpu;
  } catch {
    // /proc/cpuinfo exists on Linux only; os.cpus() is the fallback.
  }
  return `${cpus().length} CPUs (${cpu}), Node ${process.version}, ${process.platform}`;
}

/**
 * Runs every case and returns a markdown table. Times are the median of the runs (first run
 * in a fresh process, so they include JIT warm-up). Peak RSS is the highest of the runs.
 */
export async function runValidationBenchmark(log: (line: string) => void = () => undefined): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'ddstore-bench-'));
  const rows: string[] = [];
  try {
    for (const size of SIZES) {
      const file = join(folder, `items-${size}.ddstore.json`);
      writeItemsFile(file, size);
      const fileBytes = statSync(file).size;
      const results = new Map<Engine, Measurement[]>();
      for (const engine of ENGINES) {
        const runs: Measurement[] = [];
        for (let run = 0; run < (engine === 'vscode-json-languageservice' ? VSCODE_RUNS : DDSTORE_RUNS); run++) {
          log(`${engine}: ${size.toLocaleString('en-US')} items, run ${run + 1}`);
          runs.push(measureInChild(engine, file));
        }
        results.set(engine, runs);
      }
      const ddstoreTime = median(results.get('ddstore')!.map((run) => run.milliseconds));
      for (const [engine, runs] of results) {
        const time = median(runs.map((run) => run.milliseconds));
        const peak = Math.max(...runs.map((run) => run.peakRss));
        const baseline = Math.min(...runs.map((run) => run.baselineRss));
        const maxBlock = Math.max(...runs.map((run) => run.maxBlockMs));
        rows.push(
          `| ${engine} | ${size.toLocaleString('en-US')} | ${megabytes(fileBytes)} | ${time.toFixed(0)} | ` +
            `${(time / ddstoreTime).toFixed(1)}× | ${engine === 'vscode-json-languageservice' ? '–' : maxBlock.toFixed(0)} | ${megabytes(peak)} | ${megabytes(baseline)} | ` +
            `${((peak - baseline) / fileBytes).toFixed(1)}× | ${runs.length} | ${runs[0].diagnostics} |`,
        );
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return [
    `Validation benchmark on ${machineDescription()}.`,
    '',
    '| Engine | Items | File (MiB) | Time (ms) | Time vs ddstore | Longest block (ms) | Peak RSS (MiB) | RSS after reading the file (MiB) | RSS growth / file size | Runs | Diagnostics |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function childMain(engine: Engine, file: string): Promise<void> {
  const measurement = await measureInThisProcess(engine, file);
  process.stdout.write(JSON.stringify(measurement));
}

if (require.main === module) {
  const [flag, engine, file] = process.argv.slice(2);
  if (flag === '--child') {
    void childMain(engine as Engine, file);
  } else {
    void runValidationBenchmark((line) => process.stderr.write(`${line}\n`)).then((table) => {
      process.stdout.write(`${table}\n`);
    });
  }
}
