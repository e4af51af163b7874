// Runs the integration suite in VS Code desktop through @vscode/test-electron, as an alternative to
// the code-server harness in test/harness. It downloads VS Code on the first run into .vscode-test/,
// so it needs access to the VS Code download servers, and on Linux without a display it needs a
// virtual one (for example `xvfb-run -a npm run test:electron`).
//
// Environment: DDSTORE_VSCODE_VERSION selects the VS Code version ("stable", "insiders" or a number
// such as "1.99.0", default "stable"). DDSTORE_TEST_GREP filters tests by full title.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

interface RunSummary {
  passed: number;
  failed: number;
  pending?: number;
  failures: { title: string; error: string }[];
}

async function main(): Promise<number> {
  // Compiled to out/test/electron/runElectron.js, three levels below the repository root.
  const repoRoot = path.resolve(__dirname, '../../..');
  const extensionTestsPath = path.join(repoRoot, 'out/test/integration/index.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddstore-electron-test-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test/fixtures/workspace'), workspace, { recursive: true });
  const resultFile = path.join(tmp, 'result.json');

  let exitCode: number;
  try {
    exitCode = await runTests({
      version: process.env.DDSTORE_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${path.join(tmp, 'user-data')}`,
      ],
      // Merged over process.env, so every variable of the caller reaches the extension host as well.
      extensionTestsEnv: {
        DDSTORE_TEST: process.env.DDSTORE_TEST ?? '1',
        DDSTORE_TEST_WORKSPACE: workspace,
        EXT_TEST_RESULT_FILE: resultFile,
      },
    });
  } catch (error) {
    // runTests rejects with TestRunFailedError when VS Code exits with a non-zero code.
    console.error(`runElectron: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }

  exitCode = printSummary(resultFile, exitCode);
  fs.rmSync(tmp, { recursive: true, force: true });
  return exitCode;
}

/** Prints failures and the `N passed, N failed` line and returns the final exit code. */
function printSummary(resultFile: string, exitCode: number): number {
  if (!fs.existsSync(resultFile)) {
    console.error(`runElectron: the test entry wrote no result file (${resultFile})`);
    return exitCode || 1;
  }
  const summary = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RunSummary;
  for (const failure of summary.failures) {
    console.log(`\nFAILED: ${failure.title}\n${failure.error}`);
  }
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  if (summary.failed > 0 || summary.passed === 0) {
    return exitCode || 1;
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
