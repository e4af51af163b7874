import { randomUUID } from 'node:crypto';

/** Media type of every Datadog v2 response, success or error. */
export const JSON_API_CONTENT_TYPE = 'application/vnd.api+json';

/** One entry of a JSON:API error body (format A). */
export interface JsonApiError {
  status: string;
  id: string;
  title: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string; header?: string };
  meta?: Record<string, unknown>;
}

/** A response that a handler computed and the server still has to send. */
export interface ApiResponse {
  status: number;
  /** Serialized as JSON. `undefined` sends an empty body. */
  body?: unknown;
  /** Sent as is in place of `body`. */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Number of items in a bulk request, copied into the request log. */
  itemCount?: number;
}

/** Builds one format-A error with a fresh `id`, as the real server sends. */
export function jsonApiError(
  status: number,
  title: string,
  detail?: string,
  source?: JsonApiError['source'],
): JsonApiError {
  const error: JsonApiError = { status: String(status), id: randomUUID(), title };
  if (detail !== undefined) {
    error.detail = detail;
  }
  if (source !== undefined) {
    error.source = source;
  }
  return error;
}

/** Format A: `{"errors":[{status,id,title,detail,source}]}`. */
export function jsonApiErrorResponse(status: number, errors: JsonApiError[]): ApiResponse {
  return { status, body: { errors } };
}

/** Format B, the legacy list of strings that Datadog uses for 403 and 429: `{"errors":["Forbidden"]}`. */
export function stringErrorResponse(status: number, message: string): ApiResponse {
  return { status, body: { errors: [message] } };
}

/** Thrown by handlers to stop and send `response`. */
export class HttpError extends Error {
  constructor(readonly response: ApiResponse) {
    super(`HTTP ${response.status}`);
    this.name = 'HttpError';
  }
}

/** Throws a format-A error response with a single error. */
export function fail(status: number, title: string, detail?: string, source?: JsonApiError['source']): never {
  throw new HttpError(jsonApiErrorResponse(status, [jsonApiError(status, title, detail, source)]));
}

/** Escapes one reference token of a JSON Pointer (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
