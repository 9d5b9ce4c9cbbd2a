/**
 * Stored tool pins (see schema.ts `tool_pins`). The approved and pending rows are mirrored in memory, so a
 * tools/list never waits on the database for tools it has seen; every write goes to the database first.
 * Bounded: one pending row per tool (a newer change replaces it), and at most MAX_PINS_PER_BACKEND tools per backend.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { toolPins } from './schema.js';

export interface ToolPinRecord {
  readonly id: number;
  readonly backend: string;
  readonly tool: string;
  readonly sha256: string;
  readonly definition: string;
  readonly status: 'approved' | 'pending' | 'superseded';
  readonly diff: string | null;
  readonly firstSeen: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
}

export interface ToolPinStore {
  approved(backend: string, tool: string): ToolPinRecord | undefined;
  pending(backend: string, tool: string): ToolPinRecord | undefined;
  /** Pins a tool seen for the first time; undefined when the backend already has MAX_PINS_PER_BACKEND tools. */
  pinFirstSight(backend: string, tool: string, sha256: string, definition: string): ToolPinRecord | undefined;
  /** Records a changed definition awaiting approval (replacing an older pending one of the same tool). */
  recordChange(backend: string, tool: string, sha256: string, definition: string, diff: string): ToolPinRecord;
  /** Makes a pending definition the approved one; undefined when `id` is not pending. */
  approve(id: number, by: string): ToolPinRecord | undefined;
  listPending(): ToolPinRecord[];
}

export const MAX_PINS_PER_BACKEND = 10_000;

const keyOf = (backend: string, tool: string): string => `${backend}\u0000${tool}`;

export function createToolPinStore(db: Database, now: () => number = Date.now): ToolPinStore {
  const approved = new Map<string, ToolPinRecord>();
  const pending = new Map<string, ToolPinRecord>();
  const perBackend = new Map<string, number>();
  for (const row of db.orm.select().from(toolPins).all()) {
    const key = keyOf(row.backend, row.tool);
    if (row.status === 'approved') {
      approved.set(key, row);
      perBackend.set(row.backend, (perBackend.get(row.backend) ?? 0) + 1);
    } else if (row.status === 'pending') pending.set(key, row);
  }
  return {
    approved: (backend, tool) => approved.get(keyOf(backend, tool)),
    pending: (backend, tool) => pending.get(keyOf(backend, tool)),
    pinFirstSight(backend, tool, sha256, definition) {
      if ((perBackend.get(backend) ?? 0) >= MAX_PINS_PER_BACKEND) return undefined;
      const row = db.orm
        .insert(toolPins)
        .values({ backend, tool, sha256, definition, status: 'approved', firstSeen: now(), decidedBy: 'first-sight' })
        .returning()
        .get();
      approved.set(keyOf(backend, tool), row);
      perBackend.set(backend, (perBackend.get(backend) ?? 0) + 1);
      return row;
    },
    recordChange(backend, tool, sha256, definition, diff) {
      const key = keyOf(backend, tool);
      const old = pending.get(key);
      const row = old
        ? db.orm.update(toolPins).set({ sha256, definition, diff, firstSeen: now() }).where(eq(toolPins.id, old.id)).returning().get()
        : db.orm.insert(toolPins).values({ backend, tool, sha256, definition, diff, status: 'pending', firstSeen: now() }).returning().get();
      pending.set(key, row as ToolPinRecord);
      return row as ToolPinRecord;
    },
    approve(id, by) {
      const row = [...pending.values()].find((r) => r.id === id);
      if (!row) return undefined;
      const decidedAt = now();
      const approvedRow = db.sqlite.transaction(() => {
        db.orm
          .update(toolPins)
          .set({ status: 'superseded' })
          .where(and(eq(toolPins.backend, row.backend), eq(toolPins.tool, row.tool), eq(toolPins.status, 'approved')))
          .run();
        return db.orm.update(toolPins).set({ status: 'approved', decidedAt, decidedBy: by }).where(eq(toolPins.id, id)).returning().get();
      })();
      const key = keyOf(row.backend, row.tool);
      pending.delete(key);
      approved.set(key, approvedRow as ToolPinRecord);
      return approvedRow as ToolPinRecord;
    },
    listPending: () => [...pending.values()].sort((a, b) => a.id - b.id),
  };
}
