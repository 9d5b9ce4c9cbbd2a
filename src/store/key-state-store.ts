/** Stored key state: previous keys during their rotation grace, and revoked keys (see identity/key-registry.ts). */
import { and, eq } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { keyState } from './schema.js';

export interface KeyRecord {
  readonly agent: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly status: 'previous' | 'revoked';
  readonly validUntil: number | null;
  readonly changedAt: number;
  readonly changedBy: string;
}

export interface KeyStateStore {
  list(agent?: string): KeyRecord[];
  /** Marks a key as the previous one of its agent, valid until `validUntil`; a revoked key stays revoked. */
  markPrevious(record: Omit<KeyRecord, 'status'>): void;
  /** Revokes a key for good. */
  revoke(record: Omit<KeyRecord, 'status' | 'validUntil'>): void;
}

export function createKeyStateStore(db: Database): KeyStateStore {
  const find = (agent: string, fingerprint: string): KeyRecord | undefined =>
    db.orm.select().from(keyState).where(and(eq(keyState.agent, agent), eq(keyState.fingerprint, fingerprint))).get();
  return {
    list: (agent) =>
      (agent === undefined ? db.orm.select().from(keyState).all() : db.orm.select().from(keyState).where(eq(keyState.agent, agent)).all())
        .sort((a, b) => a.agent.localeCompare(b.agent) || a.changedAt - b.changedAt),
    markPrevious(record) {
      if (find(record.agent, record.fingerprint)?.status === 'revoked') return;
      db.orm
        .insert(keyState)
        .values({ ...record, status: 'previous' })
        .onConflictDoUpdate({ target: [keyState.agent, keyState.fingerprint], set: { status: 'previous', validUntil: record.validUntil, changedAt: record.changedAt, changedBy: record.changedBy } })
        .run();
    },
    revoke(record) {
      db.orm
        .insert(keyState)
        .values({ ...record, status: 'revoked', validUntil: null })
        .onConflictDoUpdate({ target: [keyState.agent, keyState.fingerprint], set: { status: 'revoked', validUntil: null, changedAt: record.changedAt, changedBy: record.changedBy } })
        .run();
    },
  };
}
