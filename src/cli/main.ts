import { parseArgs } from 'node:util';
import { errorMessage } from '../core/errors';
import type { CliIo } from './io';
import { EXIT_INVALID } from './io';
import { readProcessStdin } from './inputFile';
import { pushCommand } from './pushCommand';
import { validateCommand } from './validateCommand';

const USAGE = `Usage:
  ddstore validate FILE [--primary-key NAME] [--json]
  ddstore push FILE [--site SITE] [--datastore ID] [--conflict-mode MODE] [--concurrency N] [--timeout SECONDS] [--json]

FILE is the path of a .ddstore.json file, or - to read it from standard input.

Commands:
  validate   Check a .ddstore.json file as the editor does; sends nothing.
  push       Validate, then write every item to the datastore in bulk requests of at most 100 items.

Options:
  --site SITE            Datadog site, for example datadoghq.eu (default: the file's datastore.site, then DD_SITE, then datadoghq.com)
  --datastore ID         Datastore id, a UUID (default: the file's datastore.id)
  --conflict-mode MODE   fail_on_conflict (default; never overwrites) or overwrite_on_conflict
  --concurrency N        Requests in flight at once (default 8)
  --timeout SECONDS      Timeout of one request, in seconds, from 1 to 600 (default 30)
  --primary-key NAME     Primary column to check items against when the file does not name one
  --json                 Print one JSON object with the result instead of text

Environment:
  DD_API_KEY, DD_APP_KEY  API key and application key (required for push)
  DD_SITE                 Default Datadog site
  DDSTORE_API_URL         Send requests to this loopback origin instead (a local simulator);
                          empty means unset, only whitespace is an error
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY
                          Proxy for requests to Datadog, and hosts that bypass it
  NODE_EXTRA_CA_CERTS     PEM file of extra certificate authorities to trust
  DDSTORE_LOG             Log to stderr at this level: error, warn, info or debug (keys are masked)

Exit status: 0 everything written (or valid), 1 some items not written, 2 invalid input or usage.`;

/** Runs the CLI with the given arguments and returns the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        site: { type: 'string' },
        datastore: { type: 'string' },
        'conflict-mode': { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'primary-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`ddstore: ${describeParseError(error)}\n\n${USAGE}\n`);
    return EXIT_INVALID;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (!command || !file || rest.length > 0 || (command !== 'validate' && command !== 'push')) {
    io.stderr(`${command && command !== 'validate' && command !== 'push' ? `ddstore: unknown command "${command}".\n\n` : ''}${USAGE}\n`);
    return EXIT_INVALID;
  }
  if (command === 'validate') {
    return validateCommand(file, { json: parsed.values.json ?? false, primaryKey: parsed.values['primary-key'] }, io);
  }
  return pushCommand(
    file,
    {
      json: parsed.values.json ?? false,
      site: parsed.values.site,
      datastore: parsed.values.datastore,
      conflictMode: parsed.values['conflict-mode'],
      concurrency: parsed.values.concurrency,
      timeout: parsed.values.timeout,
    },
    io,
  );
}

/**
 * Rewords a parseArgs error. Node's unknown-option text suggests `-- "--name"` and, cut after
 * its first sentence, leaves a quote open; the short form names the option and the help.
 */
function describeParseError(error: unknown): string {
  const message = errorMessage(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    return `unknown option ${unknown[1]}. Run "ddstore --help" to list the options.`;
  }
  return message;
}

if (require.main === module) {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    readStdin: readProcessStdin,
  };
  const controller = new AbortController();
  // SIGTERM (sent by CI runners and timeout) cancels like Ctrl+C, so the accounting is printed.
  // A second signal gets Node's default handling and ends the process at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      io.stderr(`ddstore: ${signal} received, cancelling; requests in flight are reported as unknown.\n`);
      controller.abort();
    });
  }
  main(process.argv.slice(2), { ...io, signal: controller.signal })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      io.stderr(`ddstore: ${errorMessage(error)}\n`);
      process.exitCode = EXIT_INVALID;
    });
}
