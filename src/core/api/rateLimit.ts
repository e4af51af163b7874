/** Datadog rate-limit headers, read from every response. */
export interface RateLimitInfo {
  readonly limit?: number;
  /** Window length in seconds. */
  readonly periodSeconds?: number;
  readonly remaining?: number;
  /** Seconds until the current window resets (relative, not an epoch time). */
  readonly resetSeconds?: number;
  readonly name?: string;
}

type HeaderValue = string | string[] | undefined;

function headerNumber(value: HeaderValue): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') {
    return undefined;
  }
  const parsed = Number(text);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** Reads the `x-ratelimit-*` headers; absent or malformed values are left undefined. */
export function parseRateLimitHeaders(headers: Record<string, HeaderValue>): RateLimitInfo {
  const name = headers['x-ratelimit-name'];
  return {
    limit: headerNumber(headers['x-ratelimit-limit']),
    periodSeconds: headerNumber(headers['x-ratelimit-period']),
    remaining: headerNumber(headers['x-ratelimit-remaining']),
    resetSeconds: headerNumber(headers['x-ratelimit-reset']),
    name: Array.isArray(name) ? name[0] : name,
  };
}
