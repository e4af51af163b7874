import type { RateLimitInfo } from '../api/rateLimit';
import { DdstoreError } from '../errors';
import { abortableSleep } from './abortableSleep';

export interface PacerClock {
  now(): number;
}

export interface RateLimitWait {
  readonly name?: string;
  /** Whole seconds left to wait. */
  readonly seconds: number;
  /** True when a 429 caused the wait, false when the pacer waits to avoid one. */
  readonly afterRejection: boolean;
  /** True for the first report of a wait. Later reports of the same wait count down once a second. */
  readonly starting: boolean;
}

export interface PacerOptions {
  /** Maximum single wait for a rate-limit window, in milliseconds. */
  readonly maxWaitMs?: number;
  readonly clock?: PacerClock;
  readonly random?: () => number;
  readonly onWait?: (wait: RateLimitWait) => void;
}

/**
 * Spaces requests so a push stays inside the server's rate limit instead of running into it.
 *
 * Every response reports the requests left in the current window and the seconds until it
 * resets. The pacer keeps a budget of requests it may still start in the window, counting
 * requests in flight as already spent, and delays further requests until the window ends.
 * Because `x-ratelimit-reset` is whole seconds, each response gives an upper bound of the
 * window's end; the pacer keeps the smallest one it has seen. After a 429, every request
 * waits for the reset, and the next window starts with a single probe request so that a
 * server whose windows end later than estimated rejects at most one request per window.
 */
export class RateLimitPacer {
  private windowEnd = 0;
  private budget = Number.POSITIVE_INFINITY;
  private limit: number | undefined;
  private periodMs: number | undefined;
  private name: string | undefined;
  private pausedUntil = 0;
  private inFlight = 0;
  private probeNextWindow = false;
  private probing = false;
  private probeInFlight = false;
  /** The last wait reported to `onWait`, so waiting requests report each second once. */
  private reported: { time: number; seconds: number } | undefined;
  private wake: { promise: Promise<void>; resolve: () => void } = RateLimitPacer.deferred();
  private readonly clock: PacerClock;
  private readonly random: () => number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: PacerOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.random = options.random ?? Math.random;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
  }

  private static deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    return { promise, resolve };
  }

  private notify(): void {
    const current = this.wake;
    this.wake = RateLimitPacer.deferred();
    current.resolve();
  }

  /** Waits until one more request may start, then counts it as in flight. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        this.pausedUntil = Math.min(this.pausedUntil, now + this.maxWaitMs);
        await this.waitUntil(this.pausedUntil, true, signal);
        continue;
      }
      if (this.windowEnd > 0 && now >= this.windowEnd) {
        this.startNextWindow();
      }
      if (this.probing && this.probeInFlight) {
        await this.waitForChange(signal);
        continue;
      }
      if (this.budget <= 0) {
        if (this.windowEnd - now > this.maxWaitMs) {
          // observe() caps a long window only when a response reports the spent budget. A
          // budget spent by requests that got no response (network errors) is capped here,
          // so no single wait exceeds maxWaitMs, and a single probe goes out after it.
          this.windowEnd = now + this.maxWaitMs;
          this.probeNextWindow = true;
        }
        if (this.windowEnd > 0) {
          await this.waitUntil(this.windowEnd, false, signal, Math.round(this.random() * 50));
        } else {
          await this.waitForChange(signal);
        }
        continue;
      }
      this.budget -= 1;
      this.inFlight += 1;
      if (this.probing) {
        this.probeInFlight = true;
      }
      return;
    }
  }

  /** Releases a request that ended without an HTTP response (network error, timeout, cancel). */
  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.probeInFlight = false;
    this.notify();
  }

  /** Records the rate-limit headers of a response and releases its request. */
  observe(info: RateLimitInfo, status: number): void {
    const now = this.clock.now();
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.limit = info.limit ?? this.limit;
    this.periodMs = info.periodSeconds !== undefined ? info.periodSeconds * 1000 : this.periodMs;
    this.name = info.name ?? this.name;
    if (info.resetSeconds !== undefined) {
      const end = now + info.resetSeconds * 1000;
      const halfPeriod = (this.periodMs ?? 1000) / 2;
      if (this.windowEnd === 0 || end > this.windowEnd + halfPeriod) {
        this.windowEnd = end;
        this.budget = (info.remaining ?? Number.POSITIVE_INFINITY) - this.inFlight;
      } else {
        this.windowEnd = Math.min(this.windowEnd, end);
        if (info.remaining !== undefined) {
          this.budget = Math.min(this.budget, info.remaining - this.inFlight);
        }
      }
    }
    if (status === 429) {
      const resetMs = (info.resetSeconds ?? (this.periodMs ?? 1000) / 1000) * 1000;
      const jitter = 50 + Math.round(this.random() * 200);
      this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(this.maxWaitMs, resetMs + jitter));
      this.budget = 0;
      if (info.resetSeconds === undefined || this.windowEnd > this.pausedUntil) {
        // The window end is unknown (no reset header) or later than the capped pause. The pause
        // counts as the window end, so the probe starts when the pause ends.
        this.windowEnd = this.pausedUntil;
      }
      this.probeNextWindow = true;
      this.probing = false;
    } else {
      if (this.probing) {
        this.probing = false;
      }
      if (this.budget <= 0 && this.windowEnd - now > this.maxWaitMs) {
        // A window longer than the maximum wait: wait that long, then send a single probe.
        this.windowEnd = now + this.maxWaitMs;
        this.probeNextWindow = true;
      }
    }
    this.probeInFlight = false;
    this.notify();
  }

  private startNextWindow(): void {
    const inFlight = this.inFlight;
    this.budget = this.limit !== undefined ? this.limit - inFlight : Number.POSITIVE_INFINITY;
    this.windowEnd = this.periodMs !== undefined ? this.windowEnd + this.periodMs : 0;
    if (this.windowEnd > 0 && this.windowEnd <= this.clock.now()) {
      // Several windows passed while idle; the next response will set the real end.
      this.windowEnd = 0;
    }
    if (this.probeNextWindow) {
      this.probing = true;
      this.probeNextWindow = false;
    }
  }

  /**
   * Sleeps towards `time` at most one second at a time, so the caller re-checks the state and
   * the wait is reported as a countdown: once per whole second, whichever request is waiting.
   */
  private async waitUntil(time: number, afterRejection: boolean, signal?: AbortSignal, jitterMs = 0): Promise<void> {
    const ms = Math.max(0, time + jitterMs - this.clock.now());
    const seconds = Math.ceil(ms / 1000);
    if (ms >= 250 && !(this.reported?.time === time && this.reported.seconds === seconds)) {
      const starting = this.reported?.time !== time;
      this.reported = { time, seconds };
      this.options.onWait?.({ name: this.name, seconds, afterRejection, starting });
    }
    await this.sleepOrWake(Math.min(ms, 1000), signal);
  }

  private waitForChange(signal?: AbortSignal): Promise<void> {
    return this.sleepOrWake(1000, signal);
  }

  /** Sleeps until the time passes or the pacer state changes; clears its timer either way. */
  private async sleepOrWake(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      // An abort that came before this call fires no event, so it is checked here.
      throw new DdstoreError('cancelled', 'The push was cancelled.');
    }
    const local = new AbortController();
    const forward = (): void => local.abort();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      await Promise.race([abortableSleep(ms, local.signal).catch(() => undefined), this.wake.promise]);
    } finally {
      signal?.removeEventListener('abort', forward);
      local.abort();
    }
    if (signal?.aborted) {
      throw new DdstoreError('cancelled', 'The push was cancelled.');
    }
  }
}
