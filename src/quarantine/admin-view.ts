/** The review API's view of the queue (src/http/admin-quarantine.ts): records as JSON-friendly views. */
import type { QuarantineAdmin, QuarantineView } from '../http/admin-quarantine.js';
import type { QuarantineRecord, QuarantineStatus } from '../store/quarantine-store.js';
import type { QuarantineReview } from './review.js';

export function createQuarantineAdmin(review: QuarantineReview): QuarantineAdmin {
  return {
    list: (status) => review.list(status as QuarantineStatus | undefined).map((r) => viewOf(r, false)),
    pendingCount: () => review.pendingCount(),
    get(id) {
      const record = review.get(id);
      return record && viewOf(record, true);
    },
    decide(id, decision, reviewer, reason) {
      const result = review.decide(id, decision, reviewer, reason);
      if (result.ok) return { ok: true, item: viewOf(result.record, true) };
      return { ok: false, why: result.why, ...(result.record ? { item: viewOf(result.record, false) } : {}) };
    },
  };
}

export function viewOf(record: QuarantineRecord, withPayload: boolean): QuarantineView {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: record.id,
    status: record.status,
    agent: record.agent,
    backend: record.backend,
    tool: record.tool,
    reason: record.reason,
    created_at: new Date(record.createdAt).toISOString(),
    held: record.held,
    method: record.method,
    held_stage: record.heldStage,
    findings: record.findings,
    ...(withPayload ? { payload: parsed(record.payload) } : {}),
    decided_at: iso(record.decidedAt),
    decided_by: record.decidedBy,
    review_reason: record.decisionReason,
  };
}

function parsed(payload: string | null): unknown {
  if (payload === null) return null;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
