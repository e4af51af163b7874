import type { ApiErrorEntry } from './apiTypes';
import type { HeaderMap } from './httpTransport';

function contentTypeOf(headers: HeaderMap): string {
  const value = headers['content-type'];
  return (Array.isArray(value) ? value[0] : value ?? '').toLowerCase();
}

/** Shortens a body for messages, so a large HTML page does not fill the screen. */
export function bodyExcerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * Reads an error body in either of Datadog's shapes: JSON:API objects
 * (`{"errors":[{"status","title","detail","source"}]}`) or the legacy list of strings used
 * by 429 (`{"errors":["Too many requests"]}`). Anything else, such as an HTML page from a
 * proxy, becomes one entry that describes what arrived.
 */
export function parseErrorBody(status: number, headers: HeaderMap, bodyText: string): ApiErrorEntry[] {
  const contentType = contentTypeOf(headers);
  if (bodyText.trim() === '') {
    return [{ status: String(status), title: `HTTP ${status} with an empty body` }];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const kind = contentType.includes('html') || /^\s*<(!doctype|html)/i.test(bodyText) ? 'an HTML page' : 'a body that is not JSON';
    return [
      {
        status: String(status),
        title: `HTTP ${status} with ${kind}`,
        detail: `A proxy or gateway between ddstore and Datadog may have answered instead of the API. Body: ${bodyExcerpt(bodyText)}`,
      },
    ];
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    return [{ status: String(status), title: `HTTP ${status}`, detail: bodyExcerpt(bodyText) }];
  }
  return errors.map((entry): ApiErrorEntry => {
    if (typeof entry === 'string') {
      return { status: String(status), title: entry };
    }
    const object = (entry ?? {}) as Record<string, unknown>;
    const source = (object.source ?? {}) as Record<string, unknown>;
    return {
      status: typeof object.status === 'string' ? object.status : String(status),
      title: typeof object.title === 'string' ? object.title : `HTTP ${status}`,
      detail: typeof object.detail === 'string' ? object.detail : undefined,
      pointer: typeof source.pointer === 'string' ? source.pointer : undefined,
      parameter: typeof source.parameter === 'string' ? source.parameter : undefined,
    };
  });
}

/** One-line text of an error entry: `title: detail`. */
export function formatErrorEntry(entry: ApiErrorEntry): string {
  return entry.detail ? `${entry.title}: ${entry.detail}` : entry.title;
}

/**
 * Tells whether a rejected bulk write reports a key conflict. No datastore operation
 * declares 409, so a 400 whose text mentions a conflict or an existing key counts too.
 */
export function isConflictResponse(status: number, errors: readonly ApiErrorEntry[]): boolean {
  if (status === 409) {
    return true;
  }
  if (status !== 400) {
    return false;
  }
  return errors.some((entry) => /conflict|already exists|duplicate/i.test(`${entry.title} ${entry.detail ?? ''}`));
}

/** Formats one error entry with its HTTP status, without repeating a status the title already names. */
export function describeHttpError(status: number, entry: ApiErrorEntry): string {
  const text = formatErrorEntry(entry);
  return text.startsWith(`HTTP ${status}`) ? text : `HTTP ${status} ${text}`;
}

/** Formats every error entry of a response as one line, with the HTTP status once. */
export function describeHttpErrors(status: number, entries: readonly ApiErrorEntry[]): string {
  if (entries.length === 0) {
    return `HTTP ${status}`;
  }
  const [first, ...rest] = entries;
  return [describeHttpError(status, first), ...rest.map(formatErrorEntry)].join('; ');
}

/**
 * Explains a 401 or 403 with the causes a user can check. `permission` is the application-key
 * permission the failing call needs: apps_datastore_read for reads, apps_datastore_write for writes.
 */
export function describeAuthFailure(
  status: number,
  site: string,
  errors: readonly ApiErrorEntry[],
  permission: 'apps_datastore_read' | 'apps_datastore_write',
): string {
  const serverText = errors.map(formatErrorEntry).join('; ');
  return (
    `Datadog rejected the keys (HTTP ${status}${serverText ? `: ${serverText}` : ''}). ` +
    `Likely causes: the keys belong to another site than ${site}, the API key or application key is invalid or revoked, ` +
    `or the application key lacks the ${permission} permission. ` +
    `Check the site and the key's permissions, then replace the keys if they are wrong.`
  );
}

/** Splits a JSON pointer such as `/data/attributes/values/37/name` into its tokens. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') {
    return [];
  }
  return pointer
    .replace(/^#/, '')
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}
