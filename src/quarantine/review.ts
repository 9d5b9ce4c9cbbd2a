/**
 * The quarantine queue as the gateway runs it: holding a call, waiting for a person's decision, deciding, expiry, and
 * the one identical retry an approval lets through. Storage is src/store/quarantine-store.ts; this module adds what
 * lives in memory (the calls waiting on an item) and the rules of review:
 * - an agent never decides its own item (a reviewer whose name is the item's agent is refused, on every surface);
 * - an item older than `quarantine.expiry_h` is expired and can no longer be approved;
 * - an approval is used once: by the call still waiting, or by one identical retry within `approval_ttl_s`.
 * Every decision is an audit event with the reviewer, the time and the reason.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { canonicalJson } from '../scanner/canonical-json.js';
import type { Decision, QuarantineRecord, QuarantineStatus, QuarantineStore } from '../store/quarantine-store.js';
import type { AuditRecord } from '../store/types.js';

/** What is held, as the router resolved it; `arguments` is what the call hash covers. */
export interface HoldInput {
  readonly held: 'request' | 'response';
  readonly agent: string;
  readonly sessionId: string;
  readonly backend: string | null;
  readonly method: string;
  readonly tool: string | null;
  readonly reason: string;
  readonly findings: readonly unknown[];
  readonly heldStage: string;
  readonly callSha256: string;
  /** The stored form of the call (credentials masked, bounded). */
  readonly payload: string;
}

export type HoldResult = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly retryAfterMs: number };

/** How a wait for a decision ended. */
export type WaitOutcome =
  | { readonly kind: 'approved' | 'rejected'; readonly record: QuarantineRecord }
  /** Not decided within the hold time (the item stays pending). */
  | { readonly kind: 'pending' }
  /** The client went away first (the item stays pending). */
  | { readonly kind: 'gone' };

export type ReviewResult =
  | { readonly ok: true; readonly record: QuarantineRecord }
  | { readonly ok: false; readonly why: 'not_found' | 'not_pending' | 'expired' | 'own_item'; readonly record?: QuarantineRecord };

export interface QuarantineReview {
  hold(input: HoldInput): HoldResult;
  /** Waits until `id` is decided, `timeoutMs` passes or `signal` aborts; `onTick` runs every `tickMs` meanwhile. */
  waitForDecision(id: string, options: { timeoutMs: number; signal: AbortSignal; tickMs: number; onTick?: () => void }): Promise<WaitOutcome>;
  /** An unused approval of this exact call, decided within `approval_ttl_s`. */
  approvalFor(callSha256: string, agent: string): QuarantineRecord | undefined;
  /** Whether any approval may be waiting for its retry (false: no call needs to be hashed and looked up). */
  hasUnusedApprovals(): boolean;
  /** Uses an approval; false when it was used already (exactly once). */
  claim(id: string): boolean;
  decide(id: string, decision: Decision, reviewer: string, reason: string | null): ReviewResult;
  get(id: string): QuarantineRecord | undefined;
  list(status?: QuarantineStatus): QuarantineRecord[];
  /** How many items wait for a decision (all of them, not a page). */
  pendingCount(): number;
  /** Marks expired items; the gateway calls it periodically (listing and deciding do it too). */
  sweep(): void;
}

export interface QuarantineReviewDeps {
  readonly store: QuarantineStore;
  readonly logger: Logger;
  readonly limits: () => Config['quarantine'];
  readonly recordEvent: (method: string, fields?: Partial<AuditRecord>) => void;
}

/** Longest review reason kept (a reviewer's note, shown to the held client). */
export const MAX_REVIEW_REASON_CHARS = 1_000;

/** SHA-256 of the RFC 8785 canonical form of a call: agent, backend, tool and arguments (DESIGN.md §4). */
export function callHashOf(call: { agent: string; backend: string | null; tool: string | null; arguments: unknown }): string {
  const canonical = canonicalJson({ agent: call.agent, backend: call.backend, tool: call.tool, arguments: call.arguments ?? null }) ?? '';
  return createHash('sha256').update(canonical).digest('hex');
}

export function createQuarantineReview(deps: QuarantineReviewDeps): QuarantineReview {
  const { store, logger, limits, recordEvent } = deps;
  /** Calls waiting on an item, by item id. */
  const waiters = new Map<string, Set<(record: QuarantineRecord) => void>>();
  /**
   * Approvals decided and not used yet (an upper bound: one that expires unused still counts). While it is 0, which
   * is nearly always, a call needs no lookup at all: `approvalFor` is on every work call's path.
   */
  let unusedCount: number | undefined;
  // Counted on first use, not here: the gateway builds the review before its running config is in place.
  const unused = (): number => (unusedCount ??= store.countUnusedApprovals(limits().approval_ttl_s * 1000));
  const expiryMs = (): number => limits().expiry_h * 3_600_000;

  const notify = (record: QuarantineRecord): void => {
    for (const wake of waiters.get(record.id) ?? []) wake(record);
    waiters.delete(record.id);
  };

  return {
    hold(input) {
      const { max_pending_per_agent: max, hold_s: holdS } = limits();
      if (store.countPending(input.agent) >= max) {
        logger.warn('quarantine full for agent: hold refused', { agent: input.agent });
        return { ok: false, retryAfterMs: Math.max(1, holdS) * 1000 };
      }
      const { id } = store.hold(input);
      recordEvent('quarantine.held', {
        agent: input.agent, backend: input.backend, tool: input.tool, detail: `${id} held (${input.held}, ${input.heldStage}): ${input.reason}`,
      });
      return { ok: true, id };
    },

    waitForDecision(id, { timeoutMs, signal, tickMs, onTick }) {
      if (timeoutMs <= 0 || signal.aborted) return Promise.resolve(signal.aborted ? { kind: 'gone' } : { kind: 'pending' });
      return new Promise<WaitOutcome>((resolve) => {
        const set = waiters.get(id) ?? new Set();
        waiters.set(id, set);
        const finish = (outcome: WaitOutcome): void => {
          clearTimeout(timer);
          clearInterval(ticker);
          signal.removeEventListener('abort', onAbort);
          set.delete(wake);
          if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
          resolve(outcome);
        };
        const wake = (record: QuarantineRecord): void =>
          finish(record.status === 'approved' || record.status === 'rejected' ? { kind: record.status, record } : { kind: 'pending' });
        const onAbort = (): void => finish({ kind: 'gone' });
        const timer = setTimeout(() => finish({ kind: 'pending' }), timeoutMs);
        const ticker = setInterval(() => onTick?.(), tickMs);
        set.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },

    approvalFor(callSha256, agent) {
      if (unused() <= 0) return undefined;
      return store.findApproved(callSha256, agent, limits().approval_ttl_s * 1000);
    },

    hasUnusedApprovals: () => unused() > 0,

    claim(id) {
      const claimed = store.claim(id);
      if (claimed) unusedCount = Math.max(0, unused() - 1);
      return claimed;
    },

    decide(id, decision, reviewer, reason) {
      const item = store.get(id);
      if (!item) return { ok: false, why: 'not_found' };
      // Whatever surface the decision comes through, an agent does not review its own held call.
      if (reviewer === item.agent) return { ok: false, why: 'own_item', record: item };
      const note = reason === null ? null : reason.slice(0, MAX_REVIEW_REASON_CHARS);
      const result = store.decide(id, decision, { reviewer, reason: note, expiryMs: expiryMs() });
      if (!result.ok) return result;
      const { record } = result;
      if (decision === 'approved') unusedCount = unused() + 1;
      logger.info(`quarantine item ${decision}`, { id, agent: record.agent, tool: record.tool, reviewer });
      recordEvent(`quarantine.${decision}`, {
        agent: record.agent,
        backend: record.backend,
        tool: record.tool,
        detail: `${id} ${decision} by ${reviewer}${note ? `: ${note}` : ''}`,
      });
      notify(record);
      return { ok: true, record };
    },

    get(id) {
      store.expireStale(expiryMs());
      return store.get(id);
    },

    pendingCount() {
      store.expireStale(expiryMs());
      return store.countPending();
    },

    list(status) {
      store.expireStale(expiryMs());
      return store.list(status ? { status } : {});
    },

    sweep() {
      const expired = store.expireStale(expiryMs());
      if (expired > 0) logger.info('quarantine items expired', { count: expired });
    },
  };
}
