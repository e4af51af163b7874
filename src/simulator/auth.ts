import type { IncomingHttpHeaders } from 'node:http';
import { type ApiResponse, jsonApiError, jsonApiErrorResponse, stringErrorResponse } from './errors';

export type Permission = 'apps_datastore_read' | 'apps_datastore_write' | 'apps_datastore_manage';

export const ALL_PERMISSIONS: readonly Permission[] = ['apps_datastore_read', 'apps_datastore_write', 'apps_datastore_manage'];

/** A key pair that the simulator accepts. */
export interface Credential {
  apiKey: string;
  appKey: string;
  /** Defaults to all three datastore permissions. */
  permissions?: Permission[];
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * Checks `DD-API-KEY` and `DD-APPLICATION-KEY`. With no configured credentials, any pair of
 * non-empty keys passes with every permission.
 */
export class Authenticator {
  private readonly pairs = new Map<string, Set<Permission>>();
  private readonly apiKeys = new Set<string>();

  constructor(credentials: readonly Credential[] = []) {
    for (const credential of credentials) {
      this.pairs.set(pairId(credential.apiKey, credential.appKey), new Set(credential.permissions ?? ALL_PERMISSIONS));
      this.apiKeys.add(credential.apiKey);
    }
  }

  /** Returns `undefined` when the request may proceed, or the 403 response to send. */
  authorize(headers: IncomingHttpHeaders, permission: Permission): ApiResponse | undefined {
    const apiKey = headerValue(headers, 'dd-api-key');
    const appKey = headerValue(headers, 'dd-application-key');
    if (apiKey === '' || appKey === '') {
      return stringErrorResponse(403, 'Forbidden');
    }
    if (this.pairs.size === 0) {
      return undefined;
    }
    const granted = this.pairs.get(pairId(apiKey, appKey));
    if (granted === undefined) {
      return stringErrorResponse(403, 'Forbidden');
    }
    if (!granted.has(permission)) {
      // NOTE: the body Datadog sends for a missing permission is not documented. This JSON:API
      // shape follows another v2 service's recorded 403 and adds the permission name.
      return jsonApiErrorResponse(403, [
        jsonApiError(403, 'Forbidden', `the application key lacks the required permission ${permission}`, {
          header: 'DD-APPLICATION-KEY',
        }),
      ]);
    }
    return undefined;
  }

  /** Checks the API key alone, as `GET /api/v1/validate` does. */
  isValidApiKey(headers: IncomingHttpHeaders): boolean {
    const apiKey = headerValue(headers, 'dd-api-key');
    if (apiKey === '') {
      return false;
    }
    return this.pairs.size === 0 || this.apiKeys.has(apiKey);
  }
}

function pairId(apiKey: string, appKey: string): string {
  return `${apiKey}\u0000${appKey}`;
}
