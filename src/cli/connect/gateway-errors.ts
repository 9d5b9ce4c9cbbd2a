/**
 * What `portcullis connect` answers when the gateway does not: the gateway's own JSON-RPC error when a failed HTTP
 * response carried one (401 bad_signature, 404 session_not_found, 503 …), else -32603 saying it is unreachable.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, type JSONRPCErrorResponse, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { FetchLike } from '../../identity/signer.js';

/** The `error` member of a JSON-RPC error response. */
export type JsonRpcErrorObject = JSONRPCErrorResponse['error'];

/** A fetch that remembers the JSON-RPC error body of each failed POST, by the id of the request it carried. */
export interface ErrorCapturingFetch {
  readonly fetch: FetchLike;
  /** The gateway's error for the request `id`, once (it is forgotten when taken). */
  take(id: RequestId): JsonRpcErrorObject | undefined;
}

/** Wraps `inner`; the SDK transport still sees the failed response unchanged (and throws for it, as it should). */
export function createErrorCapturingFetch(inner: FetchLike): ErrorCapturingFetch {
  const captured = new Map<string, JsonRpcErrorObject>();
  const fetch: FetchLike = async (url, init) => {
    const response = await inner(url, init);
    if (response.ok || init?.method !== 'POST') return response;
    const id = requestIdOf(init.body);
    if (id === undefined) return response;
    const error = errorObjectOf(await response.clone().text().catch(() => ''));
    if (error) captured.set(requestIdKey(id), error);
    return response;
  };
  return {
    fetch,
    take(id) {
      const key = requestIdKey(id);
      const error = captured.get(key);
      captured.delete(key);
      return error;
    },
  };
}

/** The answer to a request the gateway did not answer: its own error if it sent one, else -32603 "unreachable". */
export function gatewayFailureReply(
  id: RequestId,
  failure: { readonly error: unknown; readonly gatewayError: JsonRpcErrorObject | undefined; readonly url: string },
): JSONRPCErrorResponse {
  if (failure.gatewayError) return { jsonrpc: '2.0', id, error: failure.gatewayError };
  const code = failure.error instanceof StreamableHTTPError ? failure.error.code : undefined;
  const status = code !== undefined && code > 0 ? code : undefined;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: ErrorCode.InternalError,
      message: `Portcullis gateway unreachable at ${failure.url}: ${status === undefined ? describeError(failure.error) : `HTTP ${status}`}`,
      data: { source: 'portcullis-connect', ...(status === undefined ? {} : { http_status: status }) },
    },
  };
}

/** One line about an error: its message and, for fetch's "fetch failed", the network error's code (ECONNREFUSED, …). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return oneLine(detail ? `${error.message} (${detail})` : error.message);
}

/** A map key for a JSON-RPC id that keeps 1 and "1" apart. */
export function requestIdKey(id: RequestId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function requestIdOf(body: RequestInit['body']): RequestId | undefined {
  if (typeof body !== 'string') return undefined;
  const message = parseJson(body);
  if (!isRecord(message) || typeof message.method !== 'string') return undefined;
  return typeof message.id === 'string' || typeof message.id === 'number' ? message.id : undefined;
}

function errorObjectOf(text: string): JsonRpcErrorObject | undefined {
  const message = parseJson(text);
  const error = isRecord(message) ? message.error : undefined;
  if (!isRecord(error) || typeof error.code !== 'number' || !Number.isInteger(error.code)) return undefined;
  if (typeof error.message !== 'string') return undefined;
  return { code: error.code, message: error.message, ...('data' in error ? { data: error.data } : {}) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
