import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { DdstoreError } from '../errors';
import type { Logger, SecretRedactor } from '../log';
import { defaultRedactor, silentLogger } from '../log';
import { isLoopbackHostname } from './endpoint';
import { loadUndici } from './undiciLoader';

/** Proxy settings from VS Code's `http.*` settings or from the CLI's environment. */
export interface ProxySettings {
  /** Proxy for `https:` targets, for example `http://proxy.example:3128`. */
  readonly httpsProxy?: string;
  /** Proxy for `http:` targets (only a loopback override uses plain HTTP). */
  readonly httpProxy?: string;
  /** Comma-separated hosts that bypass the proxy, in the `NO_PROXY` format. */
  readonly noProxy?: string;
  /**
   * False skips certificate checks of an `https:` proxy itself. The certificate of the Datadog
   * host at the end of the tunnel is always verified.
   */
  readonly proxyStrictSSL?: boolean;
  /** Origin of the settings (a setting or variable name), for log lines and errors. */
  readonly source: string;
}

export interface DispatcherOptions {
  readonly proxy?: ProxySettings;
  /** Connections kept alive per origin. */
  readonly connections?: number;
  /** Environment that contains `NODE_EXTRA_CA_CERTS`. Defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly redactor?: SecretRedactor;
}

type CaType = 'default' | 'system' | 'bundled' | 'extra';
type GetCaCertificates = (type?: CaType) => string[];

/**
 * Returns the CA certificates to trust: Node's default store (its bundled roots plus
 * `NODE_EXTRA_CA_CERTS`) and the operating system's store. Returns undefined where Node has no
 * `tls.getCACertificates` (before Node 22.15): leaving `ca` unset then keeps Node's default
 * store, which already contains `NODE_EXTRA_CA_CERTS`, but the system store is not read.
 */
export function trustedCaCertificates(logger: Logger = silentLogger): string[] | undefined {
  const getCaCertificates = (tls as unknown as { getCACertificates?: GetCaCertificates }).getCACertificates;
  if (typeof getCaCertificates !== 'function') {
    logger.debug(`Node ${process.version} cannot read the system certificate store; using its bundled roots and NODE_EXTRA_CA_CERTS`);
    return undefined;
  }
  const certificates = new Set<string>(getCaCertificates('default'));
  try {
    for (const certificate of getCaCertificates('system')) {
      certificates.add(certificate);
    }
  } catch (error) {
    // Node documents 'system' since 23.5 and 22.15; an older build throws for the unknown type.
    logger.debug(`reading the system certificate store failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return [...certificates];
}

/** Reads `NODE_EXTRA_CA_CERTS` when an explicit environment differs from the process's one. */
function extraCaFromEnvironment(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file || file === process.env.NODE_EXTRA_CA_CERTS) {
    // Node read the process's own value at start-up and keeps it in its default store.
    return undefined;
  }
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DdstoreError(
      'invalid-input',
      `Unable to read the certificates in NODE_EXTRA_CA_CERTS (${file}): ${cause instanceof Error ? cause.message : String(cause)}. Fix the path or unset the variable.`,
      { cause },
    );
  }
}

/** Checks a proxy URL and returns it without credentials, for messages. */
export function describeProxy(value: string, source: string, redactor: SecretRedactor = defaultRedactor): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new DdstoreError(
      'invalid-input',
      `The proxy "${redactor.redact(value)}" from ${source} is not a valid URL. Use a URL such as http://proxy.example:3128, or remove it.`,
      { cause },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DdstoreError(
      'invalid-input',
      `The proxy ${url.protocol}//${url.host} from ${source} uses ${url.protocol}; ddstore supports http: and https: proxies only.`,
    );
  }
  // A proxy password must never reach a log line or a message.
  redactor.add(decodeURIComponent(url.password));
  redactor.add(url.password);
  return `${url.protocol}//${url.host}`;
}

/**
 * Creates the undici dispatcher for API requests: a plain keep-alive agent, or a proxy agent
 * when a proxy is set. The dispatcher is always passed per request, so the process-wide
 * dispatcher that other code and `fetch` use is never changed.
 */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  const undici = loadUndici();
  const logger = options.logger ?? silentLogger;
  const redactor = options.redactor ?? defaultRedactor;
  const env = options.env ?? process.env;

  let ca = trustedCaCertificates(logger);
  const extra = extraCaFromEnvironment(env);
  if (extra) {
    ca = [...(ca ?? tls.rootCertificates), extra];
  }
  // rejectUnauthorized stays at Node's default (true) for every connection to an API host.
  const requestTls = ca ? { ca } : {};
  const connections = options.connections ?? 8;
  const agentOptions = { connections, keepAliveTimeout: 10_000 };

  const proxy = options.proxy;
  const httpsProxy = proxy?.httpsProxy?.trim() || undefined;
  const httpProxy = proxy?.httpProxy?.trim() || undefined;
  if (!proxy || (!httpsProxy && !httpProxy)) {
    return new undici.Agent({ ...agentOptions, connect: requestTls });
  }

  const described = [httpsProxy, httpProxy].filter((value): value is string => Boolean(value)).map((value) => describeProxy(value, proxy.source, redactor));
  const proxyTls = { ...requestTls, ...(proxy.proxyStrictSSL === false ? { rejectUnauthorized: false } : {}) };
  logger.info(
    `requests go through the proxy ${[...new Set(described)].join(', ')} from ${proxy.source}` +
      `${proxy.noProxy ? ` except for ${proxy.noProxy}` : ''} and except for loopback addresses` +
      `${proxy.proxyStrictSSL === false ? ' (the proxy certificate is not verified)' : ''}`,
  );
  const proxied = new undici.EnvHttpProxyAgent({
    ...agentOptions,
    // The agent would fall back to process.env for a missing value; an empty string stops that,
    // so only the given settings apply. Without an HTTPS proxy, https: targets use the HTTP proxy.
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
    connect: requestTls,
    requestTls,
    proxyTls,
  });
  const direct = new undici.Agent({ ...agentOptions, connect: requestTls });
  return new LoopbackBypass(undici.Dispatcher, direct, proxied).dispatcher;
}

/**
 * Routes requests to a loopback origin (the override for a local simulator) straight to it and
 * every other request through the proxy. A loopback override may use plain HTTP, and a proxy
 * must never see its requests, because they carry the keys in clear text.
 */
class LoopbackBypass {
  readonly dispatcher: Dispatcher;

  constructor(Base: typeof Dispatcher, direct: Dispatcher, proxied: Dispatcher) {
    // undici is loaded lazily, so the subclass of its Dispatcher is created here.
    class Bypass extends Base {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        return (isLoopbackOrigin(options.origin) ? direct : proxied).dispatch(options, handler);
      }

      override async close(): Promise<void> {
        await Promise.all([direct.close(), proxied.close()]);
      }

      override async destroy(): Promise<void> {
        await Promise.all([direct.destroy(), proxied.destroy()]);
      }
    }
    this.dispatcher = new Bypass();
  }
}

function isLoopbackOrigin(origin: string | URL | undefined): boolean {
  if (origin === undefined) {
    return false;
  }
  try {
    return isLoopbackHostname(new URL(String(origin)).hostname);
  } catch {
    return false;
  }
}

/**
 * Reads proxy settings from environment variables, lower-case names first as curl does.
 * Returns undefined when no proxy variable is set.
 */
export function proxyFromEnvironment(env: Readonly<Record<string, string | undefined>>): ProxySettings | undefined {
  const pick = (name: string): string | undefined => {
    const lower = env[name.toLowerCase()];
    if (lower !== undefined && lower.trim() !== '') return lower;
    const upper = env[name];
    return upper !== undefined && upper.trim() !== '' ? upper : undefined;
  };
  const httpsProxy = pick('HTTPS_PROXY');
  const httpProxy = pick('HTTP_PROXY');
  if (!httpsProxy && !httpProxy) {
    return undefined;
  }
  return {
    httpsProxy,
    httpProxy,
    noProxy: pick('NO_PROXY'),
    source: httpsProxy ? 'HTTPS_PROXY' : 'HTTP_PROXY',
  };
}
