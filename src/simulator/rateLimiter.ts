/** Rate-limit settings. The real limits of the datastore endpoints are not published. */
export interface RateLimitConfig {
  /** Requests allowed per period. */
  limit: number;
  periodSeconds: number;
  /** Sent as `x-ratelimit-name`. */
  name?: string;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The five `x-ratelimit-*` headers, to send on the response whatever the decision. */
  headers: Record<string, string>;
}

/** Limit used when none is configured: high enough that no test or benchmark reaches it. */
const UNLIMITED: Required<RateLimitConfig> = { limit: 1_000_000, periodSeconds: 60, name: 'actions_datastores' };

/**
 * A fixed-window counter with calendar-aligned windows: a window starts at every multiple of
 * `periodSeconds` since the Unix epoch, as Datadog documents for `X-RateLimit-Period`.
 * One bucket is shared by every endpoint and every key.
 */
export class RateLimiter {
  private readonly config: Required<RateLimitConfig>;
  private windowIndex = -1;
  private used = 0;

  constructor(
    config?: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    if (config !== undefined && (!(config.limit >= 0) || !(config.periodSeconds > 0))) {
      throw new Error(`invalid rate limit ${config.limit} per ${config.periodSeconds} s: expected limit >= 0 and period > 0`);
    }
    this.config = config === undefined ? UNLIMITED : { name: UNLIMITED.name, ...config };
  }

  /** Counts one request against the current window. */
  consume(): RateLimitDecision {
    const now = this.advance();
    const allowed = this.used < this.config.limit;
    if (allowed) {
      this.used += 1;
    }
    return { allowed, headers: this.headers(now) };
  }

  /** Returns the headers for the current window without counting a request. */
  peek(): Record<string, string> {
    return this.headers(this.advance());
  }

  /** Returns the headers of an exhausted window, as an injected 429 sends them. */
  exhaustedHeaders(resetSeconds?: number): Record<string, string> {
    const headers = this.headers(this.advance());
    headers['x-ratelimit-remaining'] = '0';
    if (resetSeconds !== undefined) {
      headers['x-ratelimit-reset'] = String(resetSeconds);
    }
    return headers;
  }

  reset(): void {
    this.windowIndex = -1;
    this.used = 0;
  }

  private advance(): number {
    const now = this.now();
    const index = Math.floor(now / (this.config.periodSeconds * 1000));
    if (index !== this.windowIndex) {
      this.windowIndex = index;
      this.used = 0;
    }
    return now;
  }

  private headers(now: number): Record<string, string> {
    const periodMs = this.config.periodSeconds * 1000;
    const windowEnd = (this.windowIndex + 1) * periodMs;
    // Rounded up, so that a client that sleeps `reset` seconds lands in the next window.
    const reset = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    return {
      'x-ratelimit-limit': String(this.config.limit),
      'x-ratelimit-period': String(this.config.periodSeconds),
      'x-ratelimit-remaining': String(Math.max(0, this.config.limit - this.used)),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-name': this.config.name,
    };
  }
}
