import type { Logger } from '../core/log';
import { silentLogger, taggedLogger } from '../core/log';
import type { CliIo } from './io';

/** Logs to stderr when DDSTORE_LOG is set (`error`, `warn`, `info`, `debug`); silent otherwise. */
export function cliLogger(io: CliIo): Logger {
  const level = io.env.DDSTORE_LOG;
  if (!level) {
    return silentLogger;
  }
  const order = ['error', 'warn', 'info', 'debug', 'trace'];
  const threshold = Math.max(0, order.indexOf(level));
  const write = (name: string) => (message: string | Error): void => {
    if (order.indexOf(name) <= threshold) {
      io.stderr(`[${name}] ${message instanceof Error ? message.message : message}\n`);
    }
  };
  return taggedLogger(
    { trace: write('trace'), debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') },
    'cli',
  );
}
