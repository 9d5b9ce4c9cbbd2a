/**
 * Held calls (see schema.ts `quarantine_items`). This build holds and records; review (approve, reject, release)
 * arrives with the quarantine issue. Ids are random, so one agent cannot guess another's item.
 */
import { randomBytes } from 'node:crypto';
import { and, count, desc, eq } from 'drizzle-orm';
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
}

export interface QuarantineRecord extends NewQuarantineItem {
  readonly id: string;
  readonly createdAt: number;
  readonly status: QuarantineStatus;
}

export interface QuarantineStore {
  hold(item: NewQuarantineItem): QuarantineRecord;
  countPending(agent: string): number;
  get(id: string): QuarantineRecord | undefined;
  list(options?: { status?: QuarantineStatus; limit?: number }): QuarantineRecord[];
}

export function createQuarantineStore(db: Database, now: () => number = Date.now): QuarantineStore {
  return {
    hold(item) {
      const record = { ...item, findings: [...item.findings], id: `q_${randomBytes(12).toString('hex')}`, createdAt: now(), status: 'pending' as const };
      db.orm.insert(quarantineItems).values(record).run();
      return record;
    },
    countPending(agent) {
      const row = db.orm
        .select({ n: count() })
        .from(quarantineItems)
        .where(and(eq(quarantineItems.status, 'pending'), eq(quarantineItems.agent, agent)))
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
