/**
 * Loads undici without changing the process-wide fetch dispatcher.
 *
 * Loading undici 7 calls `setGlobalDispatcher(new Agent())` when no global dispatcher is set,
 * and Node's own `fetch` reads that same global. In a shared extension host this would swap
 * the `fetch` dispatcher of every other extension. This module records both global dispatcher
 * slots before undici loads and puts the recorded values back afterwards, so ddstore only
 * ever uses the dispatchers it passes explicitly.
 */
import type * as UndiciModule from 'undici';

/** The slots undici 7 writes: `.1` is the one Node's built-in fetch reads. */
export const GLOBAL_DISPATCHER_SYMBOLS: readonly symbol[] = [
  Symbol.for('undici.globalDispatcher.1'),
  Symbol.for('undici.globalDispatcher.2'),
];

interface DispatcherSnapshot {
  readonly symbol: symbol;
  readonly present: boolean;
  readonly value: unknown;
}

let loaded: typeof UndiciModule | undefined;
let snapshotBeforeLoad: readonly DispatcherSnapshot[] | undefined;

function takeSnapshot(): DispatcherSnapshot[] {
  const globals = globalThis as Record<symbol, unknown>;
  return GLOBAL_DISPATCHER_SYMBOLS.map((symbol) => ({
    symbol,
    present: Object.prototype.hasOwnProperty.call(globals, symbol),
    value: globals[symbol],
  }));
}

function restoreSnapshot(snapshot: readonly DispatcherSnapshot[]): void {
  const globals = globalThis as Record<symbol, unknown>;
  for (const slot of snapshot) {
    if (globals[slot.symbol] === slot.value) {
      continue;
    }
    // undici defines the slot as writable but not configurable, so it cannot be deleted.
    // An `undefined` value is what undici and Node check for "no dispatcher set".
    if (slot.present || Object.getOwnPropertyDescriptor(globals, slot.symbol)?.writable) {
      globals[slot.symbol] = slot.value;
    }
  }
}

/** Returns the undici module, loading it on first use with the global dispatcher left untouched. */
export function loadUndici(): typeof UndiciModule {
  if (loaded) {
    return loaded;
  }
  const snapshot = takeSnapshot();
  snapshotBeforeLoad = snapshot;
  try {
    // A plain require keeps the load lazy and ordered after the snapshot, also inside the bundle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('undici') as typeof UndiciModule;
  } finally {
    restoreSnapshot(snapshot);
  }
  return loaded;
}

/** Reports whether the global dispatchers equal what they were before undici was loaded. */
export function globalDispatcherUnchanged(): boolean {
  if (!snapshotBeforeLoad) {
    return true;
  }
  const globals = globalThis as Record<symbol, unknown>;
  return snapshotBeforeLoad.every((slot) => globals[slot.symbol] === slot.value);
}
