import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { GLOBAL_DISPATCHER_SYMBOLS, globalDispatcherUnchanged, loadUndici } from '../../src/core/api/undiciLoader';

// This file also runs as a plain Node script in a child process, where no test code or
// fetch call has set a global dispatcher yet: the state of a fresh extension host.
const CHILD_MODE = process.env.DDSTORE_UNDICI_CHILD === '1';

if (CHILD_MODE) {
  const globals = globalThis as Record<symbol, unknown>;
  const before = GLOBAL_DISPATCHER_SYMBOLS.map((symbol) => globals[symbol] === undefined);
  const undici = loadUndici();
  const after = GLOBAL_DISPATCHER_SYMBOLS.map((symbol) => globals[symbol] === undefined);
  process.stdout.write(JSON.stringify({ before, after, loaded: typeof undici.request === 'function', unchanged: globalDispatcherUnchanged() }));
} else {
  describe('undici loader', () => {
    it('leaves an unset global dispatcher unset', () => {
      const child = spawnSync(process.execPath, [__filename], {
        env: { ...process.env, DDSTORE_UNDICI_CHILD: '1' },
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      const report = JSON.parse(child.stdout) as { before: boolean[]; after: boolean[]; loaded: boolean; unchanged: boolean };
      assert.deepEqual(report.before, [true, true], 'the child started with a dispatcher already set');
      assert.equal(report.loaded, true);
      assert.deepEqual(report.after, [true, true], 'loading undici set a global dispatcher');
      assert.equal(report.unchanged, true);
    });

    it('keeps an existing global dispatcher', () => {
      const globals = globalThis as Record<symbol, unknown>;
      const before = GLOBAL_DISPATCHER_SYMBOLS.map((symbol) => globals[symbol]);
      loadUndici();
      assert.deepEqual(
        GLOBAL_DISPATCHER_SYMBOLS.map((symbol) => globals[symbol]),
        before,
      );
    });
  });
}
