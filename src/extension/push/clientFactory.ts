import * as vscode from 'vscode';
import type { ApiKeys } from '../../core/api/datastoreClient';
import { DatastoreClient } from '../../core/api/datastoreClient';
import { resolveEndpoint } from '../../core/api/endpoint';
import type { Logger } from '../../core/log';
import { apiUrlOverride } from '../config/settings';

/** Creates API clients for a site with the user's override rules applied. */
export class ClientFactory {
  constructor(
    private readonly logger: Logger,
    private readonly version: string,
  ) {}

  create(site: string, keys: ApiKeys, connections: number): DatastoreClient {
    const endpoint = resolveEndpoint(site, apiUrlOverride());
    if (endpoint.overridden) {
      this.logger.info(`requests for ${site} go to ${endpoint.origin} (loopback override)`);
    }
    return new DatastoreClient(endpoint, keys, {
      connections,
      logger: this.logger,
      userAgent: `ddstore-vscode/${this.version} (vscode ${vscode.version})`,
    });
  }
}
