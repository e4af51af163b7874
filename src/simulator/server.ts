import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Authenticator, type Credential } from './auth';
import type { OperationContext, OperationSettings } from './context';
import { CONTROL_PREFIX, handleControlRequest } from './control';
import { type ApiResponse, HttpError, JSON_API_CONTENT_TYPE, jsonApiError, jsonApiErrorResponse, stringErrorResponse } from './errors';
import { type Fault, type FaultKind, FaultPlan, isPreCommitFault } from './faults';
import { type RateLimitConfig, RateLimiter } from './rateLimiter';
import { matchRoute } from './routes';
import { type DatastoreInit, DatastoreStore } from './store';

export interface SimulatorOptions {
  /** 0 picks a free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serves HTTPS when set. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Accepted key pairs. When empty or undefined, any pair of non-empty keys passes with every permission. */
  credentials?: Credential[];
  /** Undefined means a limit no client reaches. The `x-ratelimit-*` headers are sent either way. */
  rateLimit?: RateLimitConfig;
  /** Milliseconds added before every API response. */
  latencyMs?: number;
  /** Status of a `fail_on_conflict` conflict. Default 409. */
  conflictStatus?: 409 | 400;
  /** Default true: errors about one item carry `source.pointer` like `/data/attributes/values/37/name`. */
  errorPointers?: boolean;
  /** Default 100000, the documented row limit. */
  maxItemsPerDatastore?: number;
  /** Seeds the generator behind random faults. */
  seed?: number;
  /** Datastores created at start and re-created, empty, by `POST /__simulator/reset`. */
  datastores?: DatastoreInit[];
  /** Called once per API request when its outcome is known. */
  onRequest?: (entry: RequestLogEntry) => void;
  /** How many requests `requestLog` keeps. Default 1000. */
  requestLogSize?: number;
  /** Larger request bodies get 413. Default 32 MiB. */
  maxBodyBytes?: number;
}

export interface RequestLogEntry {
  method: string;
  /** The request target as received, query string included. */
  path: string;
  /** 0 when the connection was dropped or the request hangs. */
  status: number;
  /** Request headers, lower-case names. `dd-api-key` and `dd-application-key` are stored as `****`. */
  headers: Record<string, string>;
  /** Number of values or item keys in a bulk request. */
  itemCount?: number;
  /** The injected fault, if any. */
  fault?: FaultKind;
  durationMs: number;
}

export interface SimulatorStats {
  /** API requests, control routes excluded. */
  requests: number;
  /** Responses per status code. Key "0" counts dropped connections and hangs. */
  byStatus: Record<string, number>;
  faultsInjected: Partial<Record<FaultKind, number>>;
  /** Items created or replaced by bulk writes and item updates. */
  itemsWritten: number;
  /** 429 responses, injected ones included. */
  rateLimited: number;
}

export interface Simulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly store: DatastoreStore;
  readonly faults: FaultPlan;
  readonly stats: SimulatorStats;
  readonly requestLog: ReadonlyArray<RequestLogEntry>;
  /** Stops listening and destroys every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** Starts a simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new SimulatorServer(options);
  await simulator.listen();
  return simulator;
}

const MASKED_HEADERS = new Set(['dd-api-key', 'dd-application-key']);
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const HUGE_BODY_CHUNK = 1024 * 1024;
const inflate = { gzip: promisify(zlib.gunzip), deflate: promisify(zlib.inflate), br: promisify(zlib.brotliDecompress) };

/** Outcome of a request: a response to send, or a dropped or hanging connection. */
type Outcome = { response: ApiResponse; delayMs?: number } | { drop: true } | { hang: true };

class SimulatorServer implements Simulator {
  readonly store = new DatastoreStore();
  readonly faults: FaultPlan;
  readonly stats: SimulatorStats = { requests: 0, byStatus: {}, faultsInjected: {}, itemsWritten: 0, rateLimited: 0 };

  private readonly log: RequestLogEntry[] = [];
  private readonly server: http.Server;
  private readonly auth: Authenticator;
  private readonly rateLimiter: RateLimiter;
  private readonly settings: OperationSettings;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private boundPort = 0;

  constructor(private readonly options: SimulatorOptions) {
    this.faults = new FaultPlan(options.seed);
    this.auth = new Authenticator(options.credentials);
    this.rateLimiter = new RateLimiter(options.rateLimit);
    this.settings = {
      conflictStatus: options.conflictStatus ?? 409,
      errorPointers: options.errorPointers ?? true,
      maxItemsPerDatastore: options.maxItemsPerDatastore ?? 100_000,
    };
    const listener = (request: http.IncomingMessage, response: http.ServerResponse): void => this.handle(request, response);
    this.server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, listener) : http.createServer(listener);
    // Keep idle keep-alive connections longer than Node's 5 s default, so benchmark clients reuse them.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 35_000;
    this.seedDatastores();
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.options.tls ? 'https' : 'http'}://${host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  get requestLog(): ReadonlyArray<RequestLogEntry> {
    return this.log;
  }

  private get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.host, () => {
        this.server.off('error', reject);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Empties the store, faults, counters, request log and rate-limit window, then re-creates the seeded datastores. */
  reset(): void {
    this.store.clear();
    this.faults.clear();
    this.rateLimiter.reset();
    this.log.length = 0;
    Object.assign(this.stats, { requests: 0, byStatus: {}, faultsInjected: {}, itemsWritten: 0, rateLimited: 0 });
    this.seedDatastores();
  }

  private seedDatastores(): void {
    for (const init of this.options.datastores ?? []) {
      this.store.createDatastore(init);
    }
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const started = performance.now();
    readBody(request, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES).then(
      (body) => {
        try {
          this.dispatch(request, response, body, started);
        } catch (error) {
          // A bug in the simulator: report it to the client and on stderr instead of crashing the process.
          const message = (error as Error).stack ?? String(error);
          process.stderr.write(`simulator: internal error on ${request.method} ${request.url}: ${message}\n`);
          if (!response.headersSent) {
            const detail = `simulator internal error: ${(error as Error).message}`;
            this.finish(request, response, { response: jsonApiErrorResponse(500, [jsonApiError(500, 'Internal Server Error', detail)]) }, started);
          }
        }
      },
      (error: Error) => {
        const status = error instanceof BodyTooLargeError ? 413 : 400;
        const outcome = { response: jsonApiErrorResponse(status, [jsonApiError(status, 'invalid request body', error.message)]) };
        this.finish(request, response, outcome, started);
      },
    );
  }

  private dispatch(request: http.IncomingMessage, response: http.ServerResponse, body: Buffer, started: number): void {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://simulator.invalid').pathname;

    if (path.startsWith(CONTROL_PREFIX)) {
      let parsed: unknown;
      try {
        parsed = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
      } catch {
        writeResponse(response, { status: 400, body: { error: 'invalid control request: body is not JSON' }, contentType: 'application/json' });
        return;
      }
      writeResponse(response, handleControlRequest(this, method, path, parsed));
      return;
    }

    this.stats.requests += 1;
    const fault = this.faults.take(method, path);
    if (fault === undefined) {
      this.finish(request, response, { response: this.process(request, method, path, body) }, started);
      return;
    }
    this.stats.faultsInjected[fault.kind] = (this.stats.faultsInjected[fault.kind] ?? 0) + 1;
    const committed = isPreCommitFault(fault) ? undefined : this.process(request, method, path, body);
    this.finish(request, response, this.applyFault(fault, committed), started, fault);
  }

  /** Runs auth, the rate limiter and the operation, and returns the response with the rate-limit headers. */
  private process(request: http.IncomingMessage, method: string, path: string, body: Buffer): ApiResponse {
    const route = matchRoute(method, path);
    switch (route.kind) {
      case 'not-found':
        // NOTE: the body Datadog sends for an unknown path is assumed to be format B.
        return withHeaders(stringErrorResponse(404, 'Not found'), this.rateLimiter.peek());
      case 'method-not-allowed':
        return withHeaders(stringErrorResponse(405, 'Method Not Allowed'), { ...this.rateLimiter.peek(), allow: route.allowed.join(', ') });
      case 'validate': {
        const valid = this.auth.isValidApiKey(request.headers);
        const validation: ApiResponse = valid ? { status: 200, body: { valid: true } } : stringErrorResponse(403, 'Forbidden');
        return withHeaders({ ...validation, contentType: 'application/json' }, this.rateLimiter.peek());
      }
      case 'operation':
        break;
    }

    const denied = this.auth.authorize(request.headers, route.operation.permission);
    if (denied !== undefined) {
      return withHeaders(denied, this.rateLimiter.peek());
    }
    const decision = this.rateLimiter.consume();
    if (!decision.allowed) {
      return withHeaders(stringErrorResponse(429, 'Too many requests'), decision.headers);
    }

    let parsed: unknown;
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (error) {
        // NOTE: the real server's response to a malformed body is not recorded.
        const detail = `request body is not valid JSON: ${(error as Error).message}`;
        return withHeaders(jsonApiErrorResponse(400, [jsonApiError(400, 'invalid request body', detail)]), decision.headers);
      }
    }
    const context: OperationContext = {
      store: this.store,
      body: parsed,
      query: new URL(request.url ?? '/', 'http://simulator.invalid').searchParams,
      datastoreId: route.datastoreId,
      settings: this.settings,
      countItemsWritten: (count) => {
        this.stats.itemsWritten += count;
      },
    };
    let result: ApiResponse;
    try {
      result = route.operation.handler(context);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        throw error;
      }
      result = error.response;
    }
    return withHeaders(result, decision.headers);
  }

  /** Turns a fault into an outcome. `committed` is the normal response for faults that commit first. */
  private applyFault(fault: Fault, committed: ApiResponse | undefined): Outcome {
    const rateHeaders = committed?.headers ?? this.rateLimiter.peek();
    switch (fault.kind) {
      case 'rate-limit':
        return { response: withHeaders(stringErrorResponse(429, 'Too many requests'), this.rateLimiter.exhaustedHeaders(fault.resetSeconds)) };
      case 'server-error': {
        const status = fault.status ?? 500;
        if (fault.html && status !== 500) {
          return { response: htmlResponse(status, rateHeaders) };
        }
        return { response: withHeaders(serverError(status), rateHeaders) };
      }
      case 'server-error-after-commit':
        return { response: withHeaders(serverError(fault.status ?? 500), rateHeaders) };
      case 'reset-before-commit':
      case 'reset-after-commit':
        return { drop: true };
      case 'hang':
        return { hang: true };
      case 'html':
        return { response: htmlResponse(fault.status ?? 502, rateHeaders) };
      case 'redirect':
        return { response: { status: 307, rawBody: '', headers: { ...rateHeaders, location: fault.location } } };
      case 'delay':
        return { response: committed as ApiResponse, delayMs: fault.ms };
      case 'not-json':
        return {
          response: {
            status: 200,
            rawBody: 'upstream response unavailable\n',
            headers: rateHeaders,
            itemCount: committed?.itemCount,
          },
        };
      case 'truncated':
      case 'huge-body':
        // Sent by `finish`, which needs the socket.
        return { response: committed as ApiResponse };
    }
  }

  /** Sends the outcome after the configured latency, then logs it. */
  private finish(request: http.IncomingMessage, response: http.ServerResponse, outcome: Outcome, started: number, fault?: Fault): void {
    const record = (status: number, itemCount?: number): void =>
      this.record(request, status, started, fault?.kind, itemCount);

    if ('drop' in outcome) {
      record(0);
      if (request.socket instanceof TLSSocket) {
        // Node cannot send an RST through a TLS socket, so the client sees an abrupt close ("socket hang up").
        request.socket.destroy();
      } else {
        // Sends a TCP RST, so the client sees ECONNRESET instead of a clean end of stream.
        request.socket.resetAndDestroy();
      }
      return;
    }
    if ('hang' in outcome) {
      record(0);
      return;
    }

    const send = (): void => {
      if (this.closed || response.destroyed) {
        return;
      }
      const apiResponse = outcome.response;
      if (fault?.kind === 'truncated') {
        writeTruncated(response, apiResponse);
      } else if (fault?.kind === 'huge-body') {
        writeHuge(response, apiResponse, fault.bytes ?? 64 * 1024 * 1024);
      } else {
        writeResponse(response, apiResponse);
      }
      record(apiResponse.status, apiResponse.itemCount);
    };
    const delayMs = (this.options.latencyMs ?? 0) + (outcome.delayMs ?? 0);
    if (delayMs > 0) {
      this.later(delayMs, send);
    } else {
      send();
    }
  }

  private record(request: http.IncomingMessage, status: number, started: number, fault: FaultKind | undefined, itemCount: number | undefined): void {
    const key = String(status);
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
    if (status === 429) {
      this.stats.rateLimited += 1;
    }
    const entry: RequestLogEntry = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      status,
      headers: maskHeaders(request.headers),
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (itemCount !== undefined) {
      entry.itemCount = itemCount;
    }
    if (fault !== undefined) {
      entry.fault = fault;
    }
    this.log.push(entry);
    const size = this.options.requestLogSize ?? 1000;
    if (this.log.length > size) {
      // Trimming in blocks keeps the cost per request constant on average.
      this.log.splice(0, Math.max(this.log.length - size, Math.ceil(size / 10)));
    }
    this.options.onRequest?.(entry);
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}

function withHeaders(response: ApiResponse, headers: Record<string, string>): ApiResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

function serverError(status: number): ApiResponse {
  const title = status === 503 ? 'Service Unavailable' : status === 502 ? 'Bad Gateway' : 'Internal Server Error';
  return jsonApiErrorResponse(status, [jsonApiError(status, title, 'fault injected by the simulator')]);
}

function htmlResponse(status: number, headers: Record<string, string>): ApiResponse {
  const reason = http.STATUS_CODES[status] ?? 'Error';
  const page =
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, rawBody: page, contentType: 'text/html', headers };
}

function maskHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) {
      continue;
    }
    masked[name] = MASKED_HEADERS.has(name) ? '****' : Array.isArray(value) ? value.join(', ') : value;
  }
  return masked;
}

function serialize(response: ApiResponse): Buffer {
  if (response.rawBody !== undefined) {
    return Buffer.from(response.rawBody);
  }
  return response.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(response.body));
}

function responseHeaders(response: ApiResponse, contentLength: number): http.OutgoingHttpHeaders {
  return { 'content-type': response.contentType ?? JSON_API_CONTENT_TYPE, ...response.headers, 'content-length': contentLength };
}

function writeResponse(response: http.ServerResponse, apiResponse: ApiResponse): void {
  const payload = serialize(apiResponse);
  response.writeHead(apiResponse.status, responseHeaders(apiResponse, payload.length));
  response.end(payload);
}

/** Sends half of the body under the full `content-length`, then closes the connection. */
function writeTruncated(response: http.ServerResponse, apiResponse: ApiResponse): void {
  const payload = serialize(apiResponse);
  response.writeHead(apiResponse.status, responseHeaders(apiResponse, payload.length));
  response.write(payload.subarray(0, Math.floor(payload.length / 2)), () => response.socket?.end());
}

/** Sends the JSON body padded with a `padding` member to `bytes` bytes, in chunks that respect backpressure. */
function writeHuge(response: http.ServerResponse, apiResponse: ApiResponse, bytes: number): void {
  const json = serialize(apiResponse).toString('utf8');
  const isObject = json.startsWith('{') && json.endsWith('}');
  const prefix = isObject && json !== '{}' ? `${json.slice(0, -1)},"padding":"` : '{"padding":"';
  const suffix = '"}';
  let remaining = Math.max(0, bytes - Buffer.byteLength(prefix) - suffix.length);
  const total = Buffer.byteLength(prefix) + remaining + suffix.length;
  response.writeHead(apiResponse.status, responseHeaders(apiResponse, total));
  response.write(prefix);
  const chunk = Buffer.alloc(HUGE_BODY_CHUNK, 'x');
  const pump = (): void => {
    while (remaining > 0) {
      const size = Math.min(remaining, chunk.length);
      remaining -= size;
      if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
        response.once('drain', pump);
        return;
      }
    }
    response.end(suffix);
  };
  response.on('close', () => {
    remaining = 0;
  });
  pump();
}

class BodyTooLargeError extends Error {}

/**
 * Reads the whole request body and decodes a gzip, deflate or br `content-encoding`. An oversized
 * body is still drained, so the 413 response can reach the client.
 */
function readBody(request: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
      }
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > maxBytes) {
        reject(new BodyTooLargeError(`request body is ${size} bytes, the maximum is ${maxBytes}`));
        return;
      }
      decodeBody(Buffer.concat(chunks), request.headers['content-encoding']).then(resolve, reject);
    });
  });
}

async function decodeBody(raw: Buffer, contentEncoding: string | undefined): Promise<Buffer> {
  const encoding = (contentEncoding ?? 'identity').toLowerCase();
  if (encoding === 'identity' || raw.length === 0) {
    return raw;
  }
  const decode = inflate[encoding as keyof typeof inflate];
  if (decode === undefined) {
    throw new Error(`unsupported content-encoding "${encoding}": use gzip, deflate, br or none`);
  }
  return decode(raw);
}
