/**
 * The one table of deny reasons (DESIGN.md §2, a contract): reason → JSON-RPC code, the message a client sees, and
 * the HTTP status used where a denial is plain HTTP (/v1/messages, GET/DELETE on /mcp); on /mcp POST every denial is
 * HTTP 200 with the JSON-RPC error. Messages are deliberately generic: the detail goes to the audit log only.
 * `quarantined` is 403 over plain HTTP: a held message cannot be released yet.
 */
export const DENY_REASONS = {
  rate_limited: { code: -32029, message: 'Rate limit exceeded', httpStatus: 429 },
  bad_signature: { code: -32081, message: 'Request signature rejected', httpStatus: 401 },
  suspended: { code: -32082, message: 'Agent is suspended', httpStatus: 403 },
  acl_denied: { code: -32083, message: 'Not permitted', httpStatus: 403 },
  rule_blocked: { code: -32084, message: 'Blocked by a detection rule', httpStatus: 403 },
  guard_blocked: { code: -32085, message: 'Blocked by a guard', httpStatus: 403 },
  quarantined: { code: -32086, message: 'Held for review', httpStatus: 403 },
  flow_denied: { code: -32087, message: 'Information flow not permitted', httpStatus: 403 },
  backend_unavailable: { code: -32088, message: 'Backend unavailable', httpStatus: 503 },
  internal_error: { code: -32603, message: 'Internal gateway error', httpStatus: 500 },
} as const satisfies Record<string, { readonly code: number; readonly message: string; readonly httpStatus: number }>;

export type DenyReason = keyof typeof DENY_REASONS;

/** The `error` member of a JSON-RPC error response produced by the gateway. */
export interface GatewayErrorObject {
  code: number;
  message: string;
  data: { reason: DenyReason } & Record<string, unknown>;
}

/** Builds the JSON-RPC error a client gets for a denial; `data` adds reason-specific fields (e.g. `retry_after_ms`). */
export function denialError(reason: DenyReason, data: Record<string, unknown> = {}): GatewayErrorObject {
  const { code, message } = DENY_REASONS[reason];
  return { code, message, data: { ...data, reason } };
}

/** True when a JSON-RPC error object was produced by the gateway (not passed through from a backend). */
export function isGatewayError(error: { code: number; data?: unknown }): boolean {
  const data = error.data as { reason?: unknown } | undefined;
  return typeof data?.reason === 'string' && data.reason in DENY_REASONS;
}
