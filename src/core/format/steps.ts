/**
 * Runs work written as a generator that yields between chunks, all at once.
 * runStepsAsync gives the event loop a turn between chunks instead.
 */
export function runSteps<T>(steps: Generator<void, T>): T {
  let next = steps.next();
  while (!next.done) {
    next = steps.next();
  }
  return next.value;
}

/** Like runSteps, but yields to the event loop between chunks; rejects once `signal` aborts. */
export async function runStepsAsync<T>(steps: Generator<void, T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  let next = steps.next();
  while (!next.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    next = steps.next();
  }
  return next.value;
}
