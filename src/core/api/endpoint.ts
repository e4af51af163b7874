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

/**
 * Checks a base-URL override. Only loopback addresses are accepted, so an override can point
 * ddstore at a local simulator but can never send keys to another machine.
 */
export function parseLoopbackOverride(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (cause) {
    throw new DdstoreError(
      'invalid-target',
      `The API URL override "${value}" from ${source} is not a valid URL. Use a loopback URL such as http://127.0.0.1:8126, or remove the override.`,
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
  return url;
}

/**
 * Resolves the API origin for a site. Without an override this is always `https://api.<site>`
 * for one of the known Datadog sites.
 */
export function resolveEndpoint(site: string, override?: { value: string; source: string }): ApiEndpoint {
  const known = findSite(site);
  if (!known) {
    throw new DdstoreError(
      'invalid-target',
      `"${site}" is not a Datadog site. Use one of: ${siteIds().join(', ')}.`,
    );
  }
  if (override && override.value.trim() !== '') {
    const url = parseLoopbackOverride(override.value, override.source);
    return { origin: url.origin, site: known.id, overridden: true };
  }
  return { origin: `https://${known.apiHost}`, site: known.id, overridden: false };
}
