/**
 * Agent-to-agent inboxes (DESIGN.md §1): one row per message in `messages`, read by id cursor without deleting,
 * gone after `expires_at`, bounded per recipient.
 *
 * A message is stored *pending* first and published once its audit row is committed, so no message is ever readable
 * without its audit row (a failed audit write discards it; a crash leaves a pending row that the next start removes).
 * Pending is encoded in the sign of `expires_at`: a pending row holds −(its expiry), which keeps every read query a
 * plain `expires_at > now` and needs no migration. A pending row counts against its inbox's bound, and a reader's
 * page stops before it, so a cursor never moves past a message that is about to appear.
 */
import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { messages } from './schema.js';

/** A message as stored. Times are ms since the epoch. */
export interface StoredMessage {
  readonly id: number;
  readonly sender: string;
  readonly recipient: string;
  readonly content: unknown;
  readonly metadata: Record<string, unknown> | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface NewMessage {
  readonly sender: string;
  readonly recipient: string;
  readonly content: unknown;
  readonly metadata: Record<string, unknown> | null;
}

export interface InboxLimits {
  /** `messages.ttl_s`, in ms. */
  readonly ttlMs: number;
  /** `messages.max_per_inbox`: unexpired (and pending) messages a recipient may hold. */
  readonly maxPerInbox: number;
}

export type AddResult =
  | { readonly ok: true; readonly id: number; readonly expiresAt: number }
  /** The inbox holds `held` messages; the first of them expires in `retryAfterMs`. */
  | { readonly ok: false; readonly cause: 'inbox_full'; readonly held: number; readonly retryAfterMs: number };

export interface MessageStore {
  /** Stores a message as pending (counted, not readable), or refuses it when the recipient's inbox is full. */
  addPending(message: NewMessage, limits: InboxLimits, now: number): AddResult;
  /** Makes a pending message readable. */
  publish(id: number): void;
  /** Removes a pending message that must not be delivered (its audit row could not be written). */
  discard(id: number): void;
  /** The recipient's readable messages with id > `afterId`, oldest first, at most `limit`. */
  read(recipient: string, afterId: number, limit: number, now: number): StoredMessage[];
  /** Deletes expired messages, at most `maxRows` (default: all, in chunks); returns how many. */
  pruneExpired(now: number, maxRows?: number): number;
}

/** Rows deleted per statement, so each write transaction stays short (as in retention.ts). */
export const MESSAGE_PRUNE_CHUNK_ROWS = 5_000;
/** Expired rows deleted along with each new message: enough to outpace expiry without the periodic sweep. */
const PRUNE_ON_WRITE_ROWS = 32;

/** Creates the store. Pending rows left by a previous process were never audited: they are deleted here. */
export function createMessageStore(db: Database): MessageStore {
  db.orm.delete(messages).where(lt(messages.expiresAt, 0)).run();

  const pruneChunk = (now: number, rows: number): number => {
    // Expired readable rows (0 < e ≤ now) and expired pending rows (−now ≤ e < 0): one range on the expiry index.
    const chunk = db.orm
      .select({ id: messages.id })
      .from(messages)
      .where(sql`${messages.expiresAt} BETWEEN ${-now} AND ${now}`)
      .limit(rows);
    return db.orm.delete(messages).where(inArray(messages.id, chunk)).run().changes;
  };

  const add = db.sqlite.transaction((message: NewMessage, limits: InboxLimits, now: number): AddResult => {
    pruneChunk(now, PRUNE_ON_WRITE_ROWS);
    const held = db.orm
      .select({
        count: sql<number>`count(*)`,
        soonest: sql<number | null>`min(abs(${messages.expiresAt}))`,
      })
      .from(messages)
      .where(and(eq(messages.recipient, message.recipient), sql`abs(${messages.expiresAt}) > ${now}`))
      .get() ?? { count: 0, soonest: null };
    if (held.count >= limits.maxPerInbox) {
      return {
        ok: false,
        cause: 'inbox_full',
        held: held.count,
        retryAfterMs: Math.max(1, (held.soonest ?? now) - now),
      };
    }
    const expiresAt = now + limits.ttlMs;
    const row = db.orm
      .insert(messages)
      // Bound as text: drizzle's json mode would store a `null` content as SQL NULL, which the column refuses.
      .values({ ...message, content: sql`${JSON.stringify(message.content)}`, createdAt: now, expiresAt: -expiresAt })
      .returning({ id: messages.id })
      .get();
    return { ok: true, id: row.id, expiresAt };
  });

  return {
    addPending: (message, limits, now) => add(message, limits, now),
    publish(id) {
      db.orm
        .update(messages)
        .set({ expiresAt: sql`-${messages.expiresAt}` })
        .where(and(eq(messages.id, id), lt(messages.expiresAt, 0)))
        .run();
    },
    discard(id) {
      db.orm.delete(messages).where(eq(messages.id, id)).run();
    },
    read(recipient, afterId, limit, now) {
      // The first live pending message of this inbox past the cursor: the page ends before it.
      const pending = db.orm
        .select({ id: sql<number>`min(${messages.id})` })
        .from(messages)
        .where(and(eq(messages.recipient, recipient), gt(messages.id, afterId), lt(messages.expiresAt, -now)));
      const rows = db.orm
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.recipient, recipient),
            gt(messages.id, afterId),
            gt(messages.expiresAt, now),
            sql`${messages.id} < coalesce((${pending}), ${Number.MAX_SAFE_INTEGER})`,
          ),
        )
        .orderBy(asc(messages.id))
        .limit(limit)
        .all();
      return rows.map((row) => ({ ...row, metadata: row.metadata as Record<string, unknown> | null }));
    },
    pruneExpired(now, maxRows = Infinity) {
      let deleted = 0;
      while (deleted < maxRows) {
        const want = Math.min(MESSAGE_PRUNE_CHUNK_ROWS, maxRows - deleted);
        const changes = pruneChunk(now, want);
        deleted += changes;
        if (changes < want) break;
      }
      return deleted;
    },
  };
}
