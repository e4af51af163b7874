/** Where a CLI command writes, so tests can capture output without spawning a process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Environment variables; `process.env` in the real CLI. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts a running push (Ctrl+C in the real CLI). */
  readonly signal?: AbortSignal;
}

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
/** Some items were not written. */
export const EXIT_NOT_WRITTEN = 1;
/** Invalid input or usage; nothing was sent. */
export const EXIT_INVALID = 2;
