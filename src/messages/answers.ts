/**
 * What /v1/messages answers, as plain values the HTTP edge turns into responses. A denial carries the same JSON-RPC
 * code, message and `data.reason` as on /mcp (deny-reasons.ts) under a plain HTTP status; a problem with the request
 * itself is `{error: {code, message}}` with a 4xx status, like /mcp's transport errors.
 */
import { DENY_REASONS, type DenyReason, denialError } from '../pipeline/deny-reasons.js';

export interface MessageAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A problem found before the pipeline ran (what /mcp calls a transport error). */
export interface Problem {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

export const MESSAGE_PROBLEMS = {
  parse_error: { status: 400, code: -32700, message: 'Parse error: body is not valid JSON' },
  bad_agent_name: { status: 400, code: -32600, message: 'Bad Request: invalid X-Portcullis-Agent header' },
  shutting_down: { status: 503, code: -32600, message: 'Service Unavailable: gateway is shutting down' },
} as const satisfies Record<string, Problem>;

/** `{error: {code, message}}` with the problem's status. */
export function problemAnswer(problem: Problem): MessageAnswer {
  return { status: problem.status, body: { error: { code: problem.code, message: problem.message } } };
}

/** A field-level problem: 400 (or 413 for a message over the size limit) with a message naming the field. */
export function invalidInputAnswer(problem: 'parse_error' | 'invalid' | 'too_large', message: string): MessageAnswer {
  switch (problem) {
    case 'parse_error':
      return problemAnswer(MESSAGE_PROBLEMS.parse_error);
    case 'invalid':
      return problemAnswer({ status: 400, code: -32602, message });
    case 'too_large':
      return problemAnswer({ status: 413, code: -32600, message });
  }
}

/** A denial: the /mcp error object under its HTTP status; `rate_limited` also says when to retry (Retry-After). */
export function denialAnswer(reason: DenyReason, data: Readonly<Record<string, unknown>> = {}): MessageAnswer {
  const error = denialError(reason, { ...data });
  const wait = error.data.retry_after_ms;
  const headers: Record<string, string> =
    reason === 'rate_limited' && typeof wait === 'number'
      ? { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) }
      : {};
  return { status: DENY_REASONS[reason].httpStatus, body: { error }, headers };
}
