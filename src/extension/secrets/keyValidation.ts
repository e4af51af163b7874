/** Checks a key pair against the API without any VS Code import, so unit tests can run it. */
import type { DatastoreClient } from '../../core/api/datastoreClient';
import { formatErrorEntry } from '../../core/api/apiError';
import { DdstoreError, errorMessage } from '../../core/errors';
import { DATADOG_SITES } from '../../core/sites';

export type KeyState = 'valid' | 'rejected' | 'not-checked' | 'error';

/** The outcome of checking one key pair on one site. */
export interface KeyCheckResult {
  readonly site: string;
  readonly apiKey: KeyState;
  readonly appKey: KeyState;
  /** Number of datastores the application key can list, when it is valid. */
  readonly datastores?: number;
  /** One sentence per finding, in the order they were made. */
  readonly messages: string[];
}

/**
 * Checks the API key with `GET /api/v1/validate`, then the application key by listing the
 * datastores, which needs the apps_datastore_read permission.
 */
export async function checkKeys(client: DatastoreClient, signal?: AbortSignal): Promise<KeyCheckResult> {
  const site = client.endpoint.site;
  const messages: string[] = [];
  let apiKey: KeyState;
  try {
    const result = await client.validateApiKey({ signal });
    const valid = result.ok && (result.json as { valid?: unknown } | undefined)?.valid === true;
    if (valid) {
      apiKey = 'valid';
      messages.push(`The API key is valid on ${site}.`);
    } else if (result.status === 401 || result.status === 403) {
      apiKey = 'rejected';
      messages.push(`${site} rejected the API key (HTTP ${result.status}). It is revoked, mistyped, or belongs to another Datadog site.`);
    } else {
      apiKey = 'error';
      const detail = result.errors.map(formatErrorEntry).join('; ');
      messages.push(`Checking the API key on ${site} failed: HTTP ${result.status}${detail ? ` (${detail})` : ''}.`);
    }
  } catch (error) {
    return { site, apiKey: 'error', appKey: 'not-checked', messages: [`Checking the API key on ${site} failed: ${errorMessage(error)}`] };
  }
  if (apiKey !== 'valid') {
    return { site, apiKey, appKey: 'not-checked', messages };
  }

  try {
    const datastores = await client.listDatastores({ signal });
    messages.push(`The application key can read datastores on ${site} (${datastores.length} found).`);
    return { site, apiKey, appKey: 'valid', datastores: datastores.length, messages };
  } catch (error) {
    const text = errorMessage(error);
    const rejected = error instanceof DdstoreError && error.code === 'auth-failed';
    messages.push(
      rejected
        ? `The application key was rejected on ${site}: ${text}`
        : `Listing the datastores on ${site} failed: ${text}`,
    );
    return { site, apiKey, appKey: rejected ? 'rejected' : 'error', messages };
  }
}

/**
 * Tries the API key on every other Datadog site and returns the sites that accept it.
 * This sends the API key to each of those sites' API hosts, so callers ask the user first.
 */
export async function findSitesAcceptingApiKey(
  excludedSite: string,
  clientFor: (site: string) => DatastoreClient,
  signal?: AbortSignal,
): Promise<string[]> {
  const accepted: string[] = [];
  for (const site of DATADOG_SITES.filter((candidate) => candidate.id !== excludedSite)) {
    const client = clientFor(site.id);
    try {
      const result = await client.validateApiKey({ signal, timeoutMs: 10_000 });
      if (result.ok && (result.json as { valid?: unknown } | undefined)?.valid === true) {
        accepted.push(site.id);
      }
    } catch {
      // A site that cannot be reached does not accept the key; the caller reports only matches.
    } finally {
      await client.close();
    }
  }
  return accepted;
}
