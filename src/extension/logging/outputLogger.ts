import type * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import { defaultRedactor, taggedLogger } from '../../core/log';

/**
 * Adapts the extension's single LogOutputChannel to the core Logger. The channel's level is
 * the one the user sets with "Developer: Set Log Level", and every line passes the secret
 * redactor before it is written.
 */
export function channelLogger(channel: vscode.LogOutputChannel, component: string): Logger {
  return taggedLogger(
    {
      trace: (message) => channel.trace(String(message)),
      debug: (message) => channel.debug(String(message)),
      info: (message) => channel.info(String(message)),
      warn: (message) => channel.warn(String(message)),
      error: (message) => channel.error(String(message)),
    },
    component,
    defaultRedactor,
  );
}
