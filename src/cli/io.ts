/** Output streams and environment of a CLI command, so tests can capture output without spawning a process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Environment variables; `process.env` in the real CLI. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts a running push (Ctrl+C or SIGTERM in the real CLI). */
  readonly signal?: AbortSignal;
  /** True when stderr is a terminal: rate-limit waits then count down once a second. */
  readonly stderrIsTTY?: boolean;
  /** Reads standard input for the file name `-`, up to `maxBytes`; undefined when it is longer. */
  readonly readStdin?: (maxBytes: number) => Promise<Buffer | undefined>;
}

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
/** Some items were not written. */
export const EXIT_NOT_WRITTEN = 1;
/** Invalid input or usage; nothing was sent. */
export const EXIT_INVALID = 2;
