/**
 * Audit retention (`audit.retention_days`). Deletes in bounded chunks so each write transaction stays short and other
 * connections (the CLI, a dashboard) are never locked out for long.
 */
import { inArray, lt } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { auditLog } from './schema.js';

const DAY_MS = 86_400_000;
export const PRUNE_CHUNK_ROWS = 5_000;

/** Deletes audit rows older than `retentionDays` before `now` (ms epoch); returns how many were deleted. */
export function pruneAudit(db: Database, retentionDays: number, now: number): number {
  // Zero or a typo must not wipe the audit trail: a security log is kept unless a positive period says otherwise.
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`retentionDays must be a positive number, got ${retentionDays}`);
  }
  const cutoff = now - retentionDays * DAY_MS;
  let deleted = 0;
  for (;;) {
    const chunk = db.orm
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(lt(auditLog.ts, cutoff))
      .orderBy(auditLog.ts)
      .limit(PRUNE_CHUNK_ROWS);
    const { changes } = db.orm.delete(auditLog).where(inArray(auditLog.id, chunk)).run();
    deleted += changes;
    if (changes < PRUNE_CHUNK_ROWS) return deleted;
  }
}
