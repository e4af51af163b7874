// Entry of `npm run bench`: runs the push benchmark and, when test/bench/validation.ts exports
// runValidationBenchmark(), the validation benchmark, then prints both tables as markdown.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPushBenchmark } from './push';

type ValidationBenchmark = (log: (line: string) => void) => Promise<string>;

function loadValidationBenchmark(): ValidationBenchmark | undefined {
  // esbuild bundles each test/bench/*.ts file on its own, so validation.js sits next to this file. It
  // is required at run time instead of bundled, so its `require.main === module` block stays idle.
  const file = join(__dirname, 'validation.js');
  if (!existsSync(file)) {
    return undefined;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as { runValidationBenchmark?: ValidationBenchmark };
    return typeof module.runValidationBenchmark === 'function' ? module.runValidationBenchmark : undefined;
  } catch (error) {
    process.stderr.write(`validation benchmark not run: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const sections = ['## Push', '', await runPushBenchmark(undefined, log)];
  const validation = loadValidationBenchmark();
  if (validation) {
    sections.push('', '## Validation', '', await validation(log));
  }
  process.stdout.write(`${sections.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
