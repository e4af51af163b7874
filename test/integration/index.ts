// Test entry that VS Code loads in the extension host (extensionTestsPath). It runs every
// *.test.js file next to it with mocha (BDD interface) and settles when mocha finishes, which VS Code
// turns into the exit code of the test run.
//
// Environment read here:
//   EXT_TEST_RESULT_FILE  where to write the JSON summary {passed, failed, pending, failures: [{title, error}]}
//   DDSTORE_TEST_GREP     run only tests whose full title matches this regular expression
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

/** One failed test or hook in the JSON summary. */
interface FailureRecord {
  title: string;
  error: string;
}

/** JSON summary that the harness reads to print `N passed, N failed`. */
interface RunSummary {
  passed: number;
  failed: number;
  pending: number;
  failures: FailureRecord[];
}

const TEST_TIMEOUT_MS = 60_000;

export function run(): Promise<void> {
  const resultFile = process.env.EXT_TEST_RESULT_FILE;
  if (resultFile) {
    // The harness stops waiting for the suite when this marker does not appear in time.
    fs.writeFileSync(`${resultFile}.started`, new Date().toISOString());
  }

  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    reporter: 'spec',
    timeout: TEST_TIMEOUT_MS,
    ...(process.env.DDSTORE_TEST_GREP ? { grep: process.env.DDSTORE_TEST_GREP } : {}),
  });
  const testFiles = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of testFiles) {
    mocha.addFile(path.join(__dirname, name));
  }

  return new Promise((resolve, reject) => {
    const summary: RunSummary = { passed: 0, failed: 0, pending: 0, failures: [] };
    const writeSummary = (): void => {
      if (resultFile) {
        fs.writeFileSync(resultFile, JSON.stringify(summary, null, 2));
      }
    };

    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failures) => {
        writeSummary();
        if (failures > 0) {
          reject(new Error(`${failures} integration tests failed`));
        } else if (summary.passed === 0) {
          reject(new Error(`no integration test ran (test files: ${testFiles.join(', ') || 'none'})`));
        } else {
          resolve();
        }
      });
    } catch (error) {
      // A test file that throws while mocha loads it ends here, and it counts as one failure.
      summary.failed = 1;
      summary.failures.push({ title: 'loading the integration test files', error: errorText(error) });
      writeSummary();
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }

    // Counting here instead of reading runner.stats keeps failed hooks in the count, and the
    // file is written before VS Code starts to stop the extension host.
    runner.on('pass', () => {
      summary.passed++;
    });
    runner.on('pending', () => {
      summary.pending++;
    });
    runner.on('fail', (test, error) => {
      summary.failed++;
      summary.failures.push({ title: test.fullTitle(), error: errorText(error) });
    });
  });
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    return error.stack ?? error.message;
  }
  return String(error);
}
