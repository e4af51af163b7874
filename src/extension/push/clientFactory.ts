import * as vscode from 'vscode';
import type { ApiKeys } from '../../core/api/datastoreClient';
import { DatastoreClient } from '../../core/api/datastoreClient';
import type { ProxySettings } from '../../core/api/dispatcherFactory';
import { createDispatcher, proxyFromEnvironment } from '../../core/api/dispatcherFactory';
import type { ApiEndpoint } from '../../core/api/endpoint';
import { resolveEndpoint } from '../../core/api/endpoint';
import type { Logger } from '../../core/log';
import { apiUrlOverride } from '../config/settings';

/**
 * Reads one of VS Code's `http.*` settings from the user's own settings only. A workspace
 * value is ignored, so a repository cannot route requests that carry keys through its proxy.
 */
function userHttpSetting<T>(name: string): T | undefined {
  const inspected = vscode.workspace.getConfiguration('http').inspect<T>(name);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

/**
 * Returns the proxy from VS Code's `http.proxy`, `http.noProxy` and `http.proxyStrictSSL`
 * user settings, or from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` in the extension host's
 * environment when `http.proxy` is empty, as VS Code itself does. `http.proxySupport: "off"`
 * means extensions use no proxy, so it turns both sources off.
 */
export function vscodeProxySettings(
  env: NodeJS.ProcessEnv = process.env,
  read: <T>(name: string) => T | undefined = userHttpSetting,
): ProxySettings | undefined {
  if (read<string>('proxySupport') === 'off') {
    return undefined;
  }
  const proxy = read<string>('proxy')?.trim();
  const noProxyList = read<string[]>('noProxy');
  const strict = read<boolean>('proxyStrictSSL');
  if (proxy) {
    return {
      httpsProxy: proxy,
      httpProxy: proxy,
      noProxy: Array.isArray(noProxyList) && noProxyList.length > 0 ? noProxyList.join(',') : undefined,
      proxyStrictSSL: strict,
      source: 'the user setting http.proxy',
    };
  }
  const fromEnvironment = proxyFromEnvironment(env);
  return fromEnvironment ? { ...fromEnvironment, proxyStrictSSL: strict } : undefined;
}

/** Creates API clients for a site with the user's override, proxy and certificate rules applied. */
export class ClientFactory {
  constructor(
    private readonly logger: Logger,
    private readonly version: string,
  ) {}

  /** Resolves where requests for a site go; throws `invalid-target` for a site that is not Datadog's. */
  endpoint(site: string): ApiEndpoint {
    return resolveEndpoint(site, apiUrlOverride());
  }

  create(site: string, keys: ApiKeys, connections: number): DatastoreClient {
    const endpoint = this.endpoint(site);
    if (endpoint.overridden) {
      this.logger.info(`requests for ${site} go to ${endpoint.origin} (loopback override)`);
    }
    const dispatcher = createDispatcher({ proxy: vscodeProxySettings(), connections, logger: this.logger });
    return new DatastoreClient(endpoint, keys, {
      connections,
      dispatcher,
      ownsDispatcher: true,
      logger: this.logger,
      userAgent: `ddstore-vscode/${this.version} (vscode ${vscode.version})`,
    });
  }
}
