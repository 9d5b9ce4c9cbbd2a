/**
 * Operator state of agents (suspension) that outlives a restart. Read on every request through a small in-memory
 * copy, so the hot path never touches the database; every write goes to the database first, then the copy.
 */
import { eq } from 'drizzle-orm';
import type { Database } from './open-database.js';
import { agentState } from './schema.js';

export interface AgentStateRecord {
  readonly agent: string;
  readonly suspended: boolean;
  readonly reason: string | null;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface AgentStateStore {
  isSuspended(agent: string): boolean;
  list(): AgentStateRecord[];
  setSuspended(agent: string, suspended: boolean, by: string, reason?: string): AgentStateRecord;
}

export function createAgentStateStore(db: Database, now: () => number = Date.now): AgentStateStore {
  const cache = new Map<string, AgentStateRecord>();
  for (const row of db.orm.select().from(agentState).all()) cache.set(row.agent, row);
  return {
    isSuspended: (agent) => cache.get(agent)?.suspended === true,
    list: () => [...cache.values()].sort((a, b) => a.agent.localeCompare(b.agent)),
    setSuspended(agent, suspended, by, reason) {
      const record: AgentStateRecord = { agent, suspended, reason: reason ?? null, updatedAt: now(), updatedBy: by };
      db.orm
        .insert(agentState)
        .values(record)
        .onConflictDoUpdate({ target: agentState.agent, set: { suspended, reason: record.reason, updatedAt: record.updatedAt, updatedBy: by } })
        .run();
      cache.set(agent, record);
      return record;
    },
  };
}

/** Reads one agent's stored state (for the CLI, without a running gateway). */
export function readAgentState(db: Database, agent: string): AgentStateRecord | undefined {
  return db.orm.select().from(agentState).where(eq(agentState.agent, agent)).get();
}
