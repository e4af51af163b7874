/** Levelled logger that the extension backs with a LogOutputChannel and the CLI with stderr. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

/** Discards everything; the default where no logger is given. */
export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Wraps a logger so every line starts with `[component]` and every known secret is masked. */
export function taggedLogger(base: Logger, component: string, secrets: SecretRedactor = defaultRedactor): Logger {
  const format = (message: string | Error): string =>
    secrets.redact(`[${component}] ${message instanceof Error ? message.message : message}`);
  return {
    trace: (message) => base.trace(format(message)),
    debug: (message) => base.debug(format(message)),
    info: (message) => base.info(format(message)),
    warn: (message) => base.warn(format(message)),
    error: (message) => base.error(format(message)),
  };
}

/**
 * Masks secret values in text. Keys are registered as soon as they are read, so a key
 * that reaches an error message by any path is masked before it is logged or shown.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; real Datadog keys are 32 or 40 characters.
    if (secret && secret.length >= 8) {
      this.secrets.add(secret);
    }
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      result = result.split(secret).join('****');
    }
    return result;
  }
}

export const defaultRedactor = new SecretRedactor();
