/**
 * The `rate_limited` verdict of the two limiting stages. The client gets `data.retry_after_ms` (DESIGN.md §2): the
 * runner copies a deny verdict's `data` into the JSON-RPC error. The detail (audit log only) repeats the wait, so an
 * operator reading the row sees what the client was told.
 */
import type { Verdict } from '../types.js';

/** A `rate_limited` denial: `what` says which limit (for the audit log), `retryAfterMs` how long to wait. */
export function rateLimitedVerdict(what: string, retryAfterMs: number): Verdict {
  const wait = Math.max(1, Math.ceil(retryAfterMs));
  return {
    kind: 'deny',
    reason: 'rate_limited',
    detail: `${what}; retry_after_ms=${wait}`,
    data: { retry_after_ms: wait },
  };
}

/** The wait a `rate_limited` verdict asks for, in ms; undefined for any other verdict. */
export function retryAfterOf(verdict: Verdict): number | undefined {
  if (verdict.kind !== 'deny' || verdict.reason !== 'rate_limited') return undefined;
  const wait = verdict.data?.retry_after_ms;
  return typeof wait === 'number' ? wait : undefined;
}
