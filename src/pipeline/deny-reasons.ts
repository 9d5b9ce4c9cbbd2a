/**
 * The one table of deny reasons (DESIGN.md §2, a contract): reason → JSON-RPC code and the message a client sees.
 * Messages are deliberately generic: the detail of a denial goes to the audit log, never to the caller.
 */
export const DENY_REASONS = {
  rate_limited: { code: -32029, message: 'Rate limit exceeded' },
  bad_signature: { code: -32081, message: 'Request signature rejected' },
  suspended: { code: -32082, message: 'Agent is suspended' },
  acl_denied: { code: -32083, message: 'Not permitted' },
  rule_blocked: { code: -32084, message: 'Blocked by a detection rule' },
  guard_blocked: { code: -32085, message: 'Blocked by a guard' },
  quarantined: { code: -32086, message: 'Held for review' },
  flow_denied: { code: -32087, message: 'Information flow not permitted' },
  backend_unavailable: { code: -32088, message: 'Backend unavailable' },
  internal_error: { code: -32603, message: 'Internal gateway error' },
} as const satisfies Record<string, { readonly code: number; readonly message: string }>;

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
