/** Small helpers over JSON-RPC 2.0 messages, using the MCP SDK's types and guards. */
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export type { JSONRPCMessage, JSONRPCNotification, JSONRPCRequest, RequestId };
export type JsonRpcResponse = JSONRPCResultResponse | JSONRPCErrorResponse;

/** The `error` member of a JSON-RPC error response. */
export interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The answer to a request: a result or an error, as a value. */
export type Answer = { readonly result: Record<string, unknown> } | { readonly error: ErrorObject };

/** Standard JSON-RPC codes the gateway itself uses. */
export const JSONRPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
} as const;

export function isRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  return 'method' in message && 'id' in message;
}

export function isNotification(message: JSONRPCMessage): message is JSONRPCNotification {
  return 'method' in message && !('id' in message);
}

export function isResponse(message: JSONRPCMessage): message is JsonRpcResponse {
  return !('method' in message) && 'id' in message;
}

/** Turns an answer into the response message for request `id`. */
export function responseFor(id: RequestId, answer: Answer): JsonRpcResponse {
  return 'error' in answer
    ? { jsonrpc: '2.0', id, error: answer.error }
    : ({ jsonrpc: '2.0', id, result: answer.result } as JSONRPCResultResponse);
}

/** Reads the answer out of a response message. */
export function answerOf(response: JsonRpcResponse): Answer {
  return 'error' in response ? { error: response.error } : { result: response.result as Record<string, unknown> };
}

/** A map key for a JSON-RPC id: `1` and `"1"` are different ids. */
export function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}

/** Reads `params._meta.progressToken`, if any. */
export function progressTokenOf(params: unknown): string | number | undefined {
  const meta = (params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  const token = meta?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/** Returns params with `_meta.progressToken` replaced (or removed when `token` is undefined). */
export function withProgressToken(params: unknown, token: string | number | undefined): Record<string, unknown> {
  const base = (params ?? {}) as Record<string, unknown>;
  const meta = { ...((base._meta as Record<string, unknown> | undefined) ?? {}) };
  if (token === undefined) delete meta.progressToken;
  else meta.progressToken = token;
  return { ...base, _meta: meta };
}
