/**
 * Transport-level answers on /mcp (DESIGN.md §2): plain HTTP statuses with a JSON-RPC error body and no id, for
 * problems found before a message reaches a session.
 */
import { DENY_REASONS, type DenyReason, denialError } from '../pipeline/deny-reasons.js';

export const TRANSPORT_ERRORS = {
  body_too_large: { status: 413, code: -32600, message: 'Request body too large' },
  parse_error: { status: 400, code: -32700, message: 'Parse error: body is not valid JSON' },
  invalid_request: { status: 400, code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 message' },
  batch_unsupported: { status: 400, code: -32600, message: 'Invalid Request: JSON-RPC batches are not supported' },
  session_required: { status: 400, code: -32600, message: 'Bad Request: Mcp-Session-Id header is required' },
  bad_agent_name: { status: 400, code: -32600, message: 'Bad Request: invalid X-Portcullis-Agent header' },
  forbidden_origin: { status: 403, code: -32600, message: 'Forbidden: origin or host not allowed' },
  session_not_found: { status: 404, code: -32001, message: 'Session not found' },
  not_acceptable: { status: 406, code: -32600, message: 'Not Acceptable: client must accept application/json and text/event-stream' },
  unsupported_media_type: { status: 415, code: -32600, message: 'Unsupported Media Type: Content-Type must be application/json' },
  too_many_sessions: { status: 503, code: -32600, message: 'Service Unavailable: too many sessions' },
  shutting_down: { status: 503, code: -32600, message: 'Service Unavailable: gateway is shutting down' },
} as const satisfies Record<string, { status: number; code: number; message: string }>;

export type TransportErrorName = keyof typeof TRANSPORT_ERRORS;

/** A denial answered as plain HTTP (a GET/DELETE on /mcp never reaches the pipeline): the deny table's status and error. */
export function denialResponse(reason: DenyReason): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: denialError(reason) }), {
    status: DENY_REASONS[reason].httpStatus,
    headers: { 'content-type': 'application/json' },
  });
}

export function transportErrorResponse(name: TransportErrorName): Response {
  const { status, code, message } = TRANSPORT_ERRORS[name];
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
