import type { Dispatcher } from 'undici';
import { DdstoreError } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { createDispatcher } from './dispatcherFactory';
import { loadUndici } from './undiciLoader';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly bodyText: string;
  readonly durationMs: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Gives up on the request after this many milliseconds (connect, headers and body). */
  readonly timeoutMs: number;
}

export interface TransportOptions {
  /** Connections kept alive per origin. */
  readonly connections?: number;
  /** Response bodies larger than this are rejected. */
  readonly maxResponseBytes?: number;
  /** Replaces the default keep-alive agent, for example with a proxy agent. */
  readonly dispatcher?: Dispatcher;
  /** True makes `close()` close the given `dispatcher` too. */
  readonly ownsDispatcher?: boolean;
  readonly logger?: Logger;
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Network error codes that mean the request may be sent again. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Sends HTTP requests to one origin over kept-alive connections, with a timeout per request. */
export class HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly maxResponseBytes: number;
  private readonly logger: Logger;

  constructor(
    readonly origin: string,
    options: TransportOptions = {},
  ) {
    this.ownsDispatcher = options.dispatcher === undefined || options.ownsDispatcher === true;
    // undici's request() never follows redirects unless a redirect interceptor is added,
    // so keys are never sent to a host that a 3xx response names.
    this.dispatcher = options.dispatcher ?? createDispatcher({ connections: options.connections, logger: options.logger });
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.logger = options.logger ?? silentLogger;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const undici = loadUndici();
    const started = performance.now();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
    const signals = request.signal ? [request.signal, timeout.signal] : [timeout.signal];
    const signal = AbortSignal.any(signals);
    try {
      const response = await undici.request(this.origin + request.path, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        dispatcher: this.dispatcher,
      });
      const bodyText = await this.readBody(response.body, request.path);
      return {
        status: response.statusCode,
        headers: response.headers as HeaderMap,
        bodyText,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      throw this.classify(error, request, timeout.signal.aborted, performance.now() - started);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readBody(body: AsyncIterable<Buffer> & { destroy(): void }, path: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw new DdstoreError(
          'bad-response',
          `The response to ${path} is larger than ${this.maxResponseBytes} bytes; ddstore stopped reading it. A proxy or a wrong API URL is the likely cause.`,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private classify(error: unknown, request: HttpRequest, timedOut: boolean, durationMs: number): DdstoreError {
    if (error instanceof DdstoreError) {
      return error;
    }
    const where = `${request.method} ${this.origin}${request.path.split('?')[0]}`;
    if (request.signal?.aborted) {
      return new DdstoreError('cancelled', `${where} was cancelled.`, { cause: error });
    }
    if (timedOut) {
      return new DdstoreError(
        'timeout',
        `${where} timed out after ${Math.round(durationMs)} ms. If the server is slow, raise the request timeout (ddstore.requestTimeoutSeconds in VS Code, --timeout in the CLI).`,
        { cause: error },
      );
    }
    const code = errorCode(error);
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.debug(`request error ${code ?? 'unknown'} on ${where}: ${reason}`);
    // undici reports a proxy that refuses the tunnel as "Proxy response (403) !== 200 when HTTP Tunneling".
    const proxyStatus = /Proxy response \((\d+)\)/.exec(reason);
    if (proxyStatus) {
      return new DdstoreError(
        'network-error',
        `${where} failed: the proxy refused to connect to ${new URL(this.origin).host} (HTTP ${proxyStatus[1]}). ` +
          'Check the proxy setting (http.proxy in VS Code, HTTPS_PROXY in the CLI) and whether the proxy allows that host.',
        { cause: error },
      );
    }
    if (code === undefined || NETWORK_ERROR_CODES.has(code) || code.startsWith('UND_ERR')) {
      return new DdstoreError('network-error', `${where} failed: ${reason}${code ? ` (${code})` : ''}.`, {
        cause: error,
      });
    }
    return new DdstoreError('network-error', `${where} failed: ${reason} (${code}).`, { cause: error });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) {
      await this.dispatcher.close();
    }
  }
}
