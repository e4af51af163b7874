import { DdstoreError, errorMessage } from '../errors';
import type { ConflictMode } from '../format/model';
import type { Logger, SecretRedactor } from '../log';
import { defaultRedactor, silentLogger } from '../log';
import { describeAuthFailure, describeHttpErrors, parseErrorBody } from './apiError';
import type { ApiErrorEntry, BulkWriteBody, DatastoreSummary, StoredItem } from './apiTypes';
import type { ApiEndpoint } from './endpoint';
import type { HttpRequest, HttpResponse, TransportOptions } from './httpTransport';
import { HttpTransport } from './httpTransport';
import type { RateLimitInfo } from './rateLimit';
import { parseRateLimitHeaders } from './rateLimit';

export interface ApiKeys {
  readonly apiKey: string;
  readonly appKey: string;
}

/** The outcome of one API call that reached the server. */
export interface ApiResult {
  readonly status: number;
  readonly ok: boolean;
  readonly rateLimit: RateLimitInfo;
  readonly json: unknown;
  /** Parsed error entries when the status is not 2xx. */
  readonly errors: readonly ApiErrorEntry[];
  readonly durationMs: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface DatastoreClientOptions extends TransportOptions {
  readonly userAgent?: string;
  readonly defaultTimeoutMs?: number;
  readonly redactor?: SecretRedactor;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isDatastoreId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

function requireDatastoreId(id: string): string {
  if (!isDatastoreId(id)) {
    throw new DdstoreError(
      'invalid-target',
      `"${id}" is not a datastore id. Datastore ids are UUIDs such as 6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7; copy it from the datastore's page in Datadog.`,
    );
  }
  return id;
}

/** Client for the Actions Datastores endpoints ddstore uses, on one site with one key pair. */
export class DatastoreClient {
  private readonly transport: HttpTransport;
  private readonly userAgent: string;
  private readonly defaultTimeoutMs: number;
  private readonly logger: Logger;
  private readonly redactor: SecretRedactor;

  constructor(
    readonly endpoint: ApiEndpoint,
    private readonly keys: ApiKeys,
    options: DatastoreClientOptions = {},
  ) {
    const redactor = options.redactor ?? defaultRedactor;
    redactor.add(keys.apiKey);
    redactor.add(keys.appKey);
    this.redactor = redactor;
    this.logger = options.logger ?? silentLogger;
    this.transport = new HttpTransport(endpoint.origin, options);
    this.userAgent = options.userAgent ?? 'ddstore';
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  }

  /** Sends one call and parses the body; throws only when no HTTP response arrived or the body is unusable. */
  async call(
    method: HttpRequest['method'],
    path: string,
    body: unknown,
    options: CallOptions = {},
  ): Promise<ApiResult> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      'dd-api-key': this.keys.apiKey,
      'dd-application-key': this.keys.appKey,
    };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      try {
        payload = JSON.stringify(body);
      } catch (cause) {
        // JSON.stringify recurses, so a value nested thousands of levels deep overflows the stack.
        throw new DdstoreError(
          'request-not-sent',
          `Unable to serialise the body of ${method} ${path.split('?')[0]} (${errorMessage(cause)}), so nothing was sent. An item nested too deeply is the likely cause; validate the file and flatten that item.`,
          { cause },
        );
      }
    }
    const response = await this.transport.send({
      method,
      path,
      headers,
      body: payload,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
    });
    return this.toResult(method, path, response);
  }

  private toResult(method: string, path: string, response: HttpResponse): ApiResult {
    const ok = response.status >= 200 && response.status < 300;
    // A proxy or a hostile server may echo the request headers, keys included, in any body.
    // Masking runs on the whole body before anything parses or shortens it, so an excerpt can
    // never cut a key in two and keep a part of it.
    const bodyText = this.redactor.redact(response.bodyText);
    const parsedRateLimit = parseRateLimitHeaders(response.headers);
    const rateLimit = parsedRateLimit.name === undefined ? parsedRateLimit : { ...parsedRateLimit, name: this.redactor.redact(parsedRateLimit.name) };
    if (!ok) {
      const errors =
        response.status >= 300 && response.status < 400
          ? [this.redirectError(response)]
          : parseErrorBody(response.status, response.headers, bodyText).map((entry) => this.redactEntry(entry));
      this.logger.debug(`${method} ${path.split('?')[0]} -> ${response.status} in ${Math.round(response.durationMs)} ms`);
      return { status: response.status, ok, rateLimit, json: undefined, errors, durationMs: response.durationMs };
    }
    let json: unknown;
    if (bodyText.trim() !== '') {
      try {
        json = JSON.parse(bodyText);
      } catch (cause) {
        throw new DdstoreError(
          'bad-response',
          `${method} ${path.split('?')[0]} returned HTTP ${response.status} with a body that is not JSON. A proxy may have answered instead of Datadog.`,
          { cause },
        );
      }
    }
    this.logger.debug(`${method} ${path.split('?')[0]} -> ${response.status} in ${Math.round(response.durationMs)} ms`);
    return { status: response.status, ok, rateLimit, json, errors: [], durationMs: response.durationMs };
  }

  /** Describes a 3xx response by its Location, because the body of a redirect carries nothing more. */
  private redirectError(response: HttpResponse): ApiErrorEntry {
    const location = response.headers.location;
    const rawTarget = Array.isArray(location) ? location[0] : location;
    const target = rawTarget === undefined ? undefined : this.redactLocation(rawTarget);
    return {
      status: String(response.status),
      title: `HTTP ${response.status} redirect${target ? ` to ${target}` : ''}`,
      detail: 'ddstore does not follow redirects, so keys are never sent to another host. Check the site and any API URL override.',
    };
  }

  /** Masks keys in a Location, also where they are percent-encoded. */
  private redactLocation(location: string): string {
    let decoded = location;
    try {
      decoded = decodeURIComponent(location);
    } catch {
      // A malformed escape leaves the raw text, which is masked as it is.
    }
    return decoded === location || this.redactor.redact(decoded) === decoded ? this.redactor.redact(location) : this.redactor.redact(decoded);
  }

  /** Masks keys in the decoded strings of an error entry: JSON escapes such as \u002d hide them from the raw-text mask. */
  private redactEntry(entry: ApiErrorEntry): ApiErrorEntry {
    const mask = (text: string | undefined): string | undefined => (text === undefined ? undefined : this.redactor.redact(text));
    return { ...entry, title: this.redactor.redact(entry.title), detail: mask(entry.detail), pointer: mask(entry.pointer), parameter: mask(entry.parameter) };
  }

  /** Throws a coded error for a failed call that is not worth a special case. */
  private expectOk(result: ApiResult, action: string, permission: 'apps_datastore_read' | 'apps_datastore_write' = 'apps_datastore_read'): unknown {
    if (result.ok) {
      return result.json;
    }
    if (result.status === 401 || result.status === 403) {
      throw new DdstoreError('auth-failed', `Unable to ${action}. ${describeAuthFailure(result.status, this.endpoint.site, result.errors, permission)}`);
    }
    throw new DdstoreError('http-error', `Unable to ${action}: ${describeHttpErrors(result.status, result.errors)}.`);
  }

  async listDatastores(options: CallOptions = {}): Promise<DatastoreSummary[]> {
    const result = await this.call('GET', '/api/v2/actions-datastores', undefined, options);
    const json = this.expectOk(result, `list the datastores on ${this.endpoint.site}`) as { data?: unknown };
    if (!Array.isArray(json?.data)) {
      throw new DdstoreError('bad-response', 'The datastore list has no "data" array.');
    }
    return json.data.map(toDatastoreSummary);
  }

  async getDatastore(id: string, options: CallOptions = {}): Promise<DatastoreSummary> {
    const result = await this.call('GET', `/api/v2/actions-datastores/${requireDatastoreId(id)}`, undefined, options);
    if (result.status === 404) {
      throw new DdstoreError(
        'invalid-target',
        `Datastore ${id} was not found on ${this.endpoint.site}. Check the datastore id and the site; the datastore's page in Datadog shows its id.`,
      );
    }
    const json = this.expectOk(result, `read datastore ${id}`) as { data?: unknown };
    return toDatastoreSummary(json?.data);
  }

  /** Sends one bulk write; the caller reads the status, since 4xx and 5xx are expected outcomes. */
  bulkWrite(
    datastoreId: string,
    values: readonly unknown[],
    conflictMode: ConflictMode,
    options: CallOptions = {},
  ): Promise<ApiResult> {
    const body: BulkWriteBody = { data: { type: 'items', attributes: { values, conflict_mode: conflictMode } } };
    return this.call('POST', `/api/v2/actions-datastores/${requireDatastoreId(datastoreId)}/items/bulk`, body, options);
  }

  /** Reads one item by its primary key; undefined when no item has that key. */
  async findItemByKey(datastoreId: string, key: string, options: CallOptions = {}): Promise<StoredItem | undefined> {
    const query = new URLSearchParams({ item_key: key, 'page[limit]': '1' });
    const path = `/api/v2/actions-datastores/${requireDatastoreId(datastoreId)}/items?${query.toString()}`;
    const result = await this.call('GET', path, undefined, options);
    if (result.status === 404) {
      return undefined;
    }
    const json = this.expectOk(result, `read item "${key}"`) as { data?: unknown };
    const first = Array.isArray(json?.data) ? (json.data[0] as Record<string, unknown> | undefined) : undefined;
    if (!first) {
      return undefined;
    }
    const attributes = (first.attributes ?? {}) as Record<string, unknown>;
    return { id: String(first.id ?? ''), value: (attributes.value ?? {}) as Record<string, unknown> };
  }

  /** Checks the API key alone with `GET /api/v1/validate`. */
  async validateApiKey(options: CallOptions = {}): Promise<ApiResult> {
    return this.call('GET', '/api/v1/validate', undefined, options);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

function toDatastoreSummary(data: unknown): DatastoreSummary {
  const record = (data ?? {}) as Record<string, unknown>;
  const attributes = (record.attributes ?? {}) as Record<string, unknown>;
  if (typeof record.id !== 'string') {
    throw new DdstoreError('bad-response', 'A datastore in the response has no id.');
  }
  return {
    id: record.id,
    name: typeof attributes.name === 'string' ? attributes.name : record.id,
    primaryColumnName: typeof attributes.primary_column_name === 'string' ? attributes.primary_column_name : '',
    description: typeof attributes.description === 'string' ? attributes.description : '',
    primaryKeyGenerationStrategy:
      typeof attributes.primary_key_generation_strategy === 'string' ? attributes.primary_key_generation_strategy : 'none',
  };
}
