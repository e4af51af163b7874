import { DdstoreError } from '../errors';
import { findSite, siteIds } from '../sites';

/** Target origin of API requests and the site it serves. */
export interface ApiEndpoint {
  /** Origin without a trailing slash, for example `https://api.datadoghq.eu`. */
  readonly origin: string;
  /** The Datadog site the keys belong to. */
  readonly site: string;
  /** True when a loopback override replaced the site's API host. */
  readonly overridden: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Example override in messages; 8126 is avoided because the Datadog Agent listens there. */
const EXAMPLE_OVERRIDE = 'http://127.0.0.1:8787';

/** Tells whether a URL hostname is a loopback address that an override may name. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * Checks a base-URL override. Only loopback addresses are accepted, so an override can point
 * ddstore at a local simulator but can never send keys to another machine. The override is an
 * origin: a path, query or fragment is rejected rather than dropped, because ddstore would not
 * send requests to it.
 */
export function parseLoopbackOverride(value: string, source: string): URL {
  if (value.trim() === '') {
    throw new DdstoreError(
      'invalid-target',
      `${source} is set but blank. Set it to a loopback URL such as ${EXAMPLE_OVERRIDE}, or unset it to send requests to the Datadog site's API host.`,
    );
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (cause) {
    throw new DdstoreError(
      'invalid-target',
      `The API URL override "${value}" from ${source} is not a valid URL. Use a loopback URL such as ${EXAMPLE_OVERRIDE}, or remove the override.`,
      { cause },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DdstoreError(
      'invalid-target',
      `The API URL override "${value}" from ${source} uses ${url.protocol}; only http: and https: are supported.`,
    );
  }
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new DdstoreError(
      'invalid-target',
      `The API URL override "${value}" from ${source} is not a loopback address. Overrides may only point at 127.0.0.1, ::1 or localhost; remove it to use the Datadog site's API host.`,
    );
  }
  if (url.username || url.password) {
    throw new DdstoreError('invalid-target', `The API URL override from ${source} must not contain credentials.`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    throw new DdstoreError(
      'invalid-target',
      `The API URL override "${value.trim()}" from ${source} has a path, query or fragment, which ddstore would not use. Give only the scheme, host and port, such as ${url.origin}.`,
    );
  }
  return url;
}

/**
 * Resolves the API origin for a site. Without an override this is always `https://api.<site>`
 * for one of the known Datadog sites. An empty override value means no override (an unset VS
 * Code setting is an empty string); a value of only whitespace is an error.
 */
export function resolveEndpoint(site: string, override?: { value: string; source: string }): ApiEndpoint {
  const known = findSite(site);
  if (!known) {
    throw new DdstoreError(
      'invalid-target',
      `"${site}" is not a Datadog site. Use one of: ${siteIds().join(', ')}.`,
    );
  }
  if (override && override.value !== '') {
    const url = parseLoopbackOverride(override.value, override.source);
    return { origin: url.origin, site: known.id, overridden: true };
  }
  return { origin: `https://${known.apiHost}`, site: known.id, overridden: false };
}
