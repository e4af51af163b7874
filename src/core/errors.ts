/** Stable error codes, shown to users and used by tests. */
export type DdstoreErrorCode =
  | 'invalid-input'
  | 'invalid-target'
  | 'missing-keys'
  | 'auth-failed'
  | 'http-error'
  | 'network-error'
  | 'timeout'
  | 'cancelled'
  | 'rate-limited'
  | 'bad-response'
  /** A local error (such as serialising the body) stopped a request before it was sent. */
  | 'request-not-sent'
  | 'storage-failed';

/** An error with a stable code, the underlying cause, and a message that names the next step. */
export class DdstoreError extends Error {
  constructor(
    readonly code: DdstoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DdstoreError';
  }
}

export function isCancellation(error: unknown): boolean {
  return (
    (error instanceof DdstoreError && error.code === 'cancelled') ||
    (error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** Returns the message of any thrown value, for logs and notifications. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
