/**
 * Held calls (see schema.ts `quarantine_items`): holding, deciding (approve, reject), expiry, and claiming an approval
 * exactly once. Ids are random, so one agent cannot guess another's item. Every state change is one UPDATE guarded
 * by the state it expects, so two reviewers (or a reviewer and the expiry sweep) cannot both win.
 */
import { randomBytes } from 'node:crypto';
import { and, count, desc, eq, gte, isNull, lt } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { quarantineItems } from './schema.js';

export type QuarantineStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface NewQuarantineItem {
  readonly held: 'request' | 'response';
  readonly agent: string;
  readonly sessionId: string | null;
  readonly backend: string | null;
  readonly method: string;
  readonly tool: string | null;
  readonly reason: string;
  readonly callSha256: string;
  readonly findings: readonly unknown[];
  readonly payload: string | null;
  /** The stage whose verdict held it (an approved retry passes that stage). */
  readonly heldStage: string;
}

export interface QuarantineRecord extends NewQuarantineItem {
  readonly id: string;
  readonly createdAt: number;
  readonly status: QuarantineStatus;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly decisionReason: string | null;
  readonly usedAt: number | null;
}

export type Decision = 'approved' | 'rejected';

export type DecideResult =
  | { readonly ok: true; readonly record: QuarantineRecord }
  | { readonly ok: false; readonly why: 'not_found' | 'not_pending' | 'expired'; readonly record?: QuarantineRecord };

export interface QuarantineStore {
  hold(item: NewQuarantineItem): QuarantineRecord;
  /** Pending items of `agent`, or of every agent. */
  countPending(agent?: string): number;
  get(id: string): QuarantineRecord | undefined;
  list(options?: { status?: QuarantineStatus; limit?: number }): QuarantineRecord[];
  /** Approves or rejects a pending item; one held longer than `expiryMs` is expired instead. */
  decide(id: string, decision: Decision, by: { reviewer: string; reason: string | null; expiryMs: number }): DecideResult;
  /** Marks pending items older than `expiryMs` expired; returns how many. */
  expireStale(expiryMs: number): number;
  /** The newest approval of this exact call (same agent and canonical hash) decided within `ttlMs` and not used yet. */
  findApproved(callSha256: string, agent: string, ttlMs: number): QuarantineRecord | undefined;
  /** How many approvals decided within `ttlMs` are not used yet. */
  countUnusedApprovals(ttlMs: number): number;
  /** Claims an approval for one call; false when it is not approved or was already used (exactly one use, even under races). */
  claim(id: string): boolean;
}

export function createQuarantineStore(db: Database, now: () => number = Date.now): QuarantineStore {
  return {
    hold(item) {
      const record = {
        ...item, findings: [...item.findings], id: `q_${randomBytes(12).toString('hex')}`, createdAt: now(), status: 'pending' as const,
        decidedAt: null, decidedBy: null, decisionReason: null, usedAt: null,
      };
      db.orm.insert(quarantineItems).values(record).run();
      return record;
    },
    decide(id, decision, { reviewer, reason, expiryMs }) {
      const at = now();
      const expired = db.orm
        .update(quarantineItems)
        .set({ status: 'expired', decidedAt: at })
        .where(and(eq(quarantineItems.id, id), eq(quarantineItems.status, 'pending'), lt(quarantineItems.createdAt, at - expiryMs)))
        .run();
      const current = this.get(id);
      if (!current) return { ok: false, why: 'not_found' };
      if (expired.changes > 0) return { ok: false, why: 'expired', record: current };
      const changed = db.orm
        .update(quarantineItems)
        .set({ status: decision, decidedAt: at, decidedBy: reviewer, decisionReason: reason })
        .where(and(eq(quarantineItems.id, id), eq(quarantineItems.status, 'pending')))
        .run();
      const after = this.get(id) as QuarantineRecord;
      if (changed.changes === 0) return { ok: false, why: after.status === 'expired' ? 'expired' : 'not_pending', record: after };
      return { ok: true, record: after };
    },
    expireStale(expiryMs) {
      const at = now();
      return db.orm
        .update(quarantineItems)
        .set({ status: 'expired', decidedAt: at })
        .where(and(eq(quarantineItems.status, 'pending'), lt(quarantineItems.createdAt, at - expiryMs)))
        .run().changes;
    },
    countUnusedApprovals(ttlMs) {
      const row = db.orm
        .select({ n: count() })
        .from(quarantineItems)
        .where(and(eq(quarantineItems.status, 'approved'), isNull(quarantineItems.usedAt), gte(quarantineItems.decidedAt, now() - ttlMs)))
        .get();
      return row?.n ?? 0;
    },
    findApproved(callSha256, agent, ttlMs) {
      return db.orm
        .select()
        .from(quarantineItems)
        .where(
          and(
            eq(quarantineItems.callSha256, callSha256), eq(quarantineItems.agent, agent), eq(quarantineItems.status, 'approved'),
            isNull(quarantineItems.usedAt), gte(quarantineItems.decidedAt, now() - ttlMs),
          ),
        )
        .orderBy(desc(quarantineItems.decidedAt))
        .limit(1)
        .get() as QuarantineRecord | undefined;
    },
    claim(id) {
      const unused = and(eq(quarantineItems.id, id), eq(quarantineItems.status, 'approved'), isNull(quarantineItems.usedAt));
      return db.orm.update(quarantineItems).set({ usedAt: now() }).where(unused).run().changes === 1;
    },
    countPending(agent) {
      const row = db.orm
        .select({ n: count() })
        .from(quarantineItems)
        .where(agent === undefined ? eq(quarantineItems.status, 'pending') : and(eq(quarantineItems.status, 'pending'), eq(quarantineItems.agent, agent)))
        .get();
      return row?.n ?? 0;
    },
    get: (id) => db.orm.select().from(quarantineItems).where(eq(quarantineItems.id, id)).get() as QuarantineRecord | undefined,
    list({ status, limit = 100 } = {}) {
      const query = db.orm.select().from(quarantineItems);
      const filtered = status ? query.where(eq(quarantineItems.status, status)) : query;
      return filtered.orderBy(desc(quarantineItems.createdAt)).limit(Math.min(limit, 10_000)).all() as QuarantineRecord[];
    },
  };
}
