/**
 * The live client sessions, bounded by `sessions.max` and closed after `sessions.idle_ttl_s` without activity
 * (a session with a call in flight is never idle).
 */
import type { ClientSession } from './client-session.js';

export interface SessionRegistry {
  readonly size: number;
  readonly max: number;
  get(id: string): ClientSession | undefined;
  /** False when `max` sessions are open (the caller answers 503). */
  hasRoom(): boolean;
  add(session: ClientSession): void;
  remove(id: string): ClientSession | undefined;
  all(): IterableIterator<ClientSession>;
  /** Sessions idle longer than the TTL at `now`. */
  idle(now: number): ClientSession[];
}

export function createSessionRegistry(options: { max: number; idleTtlMs: number }): SessionRegistry {
  const sessions = new Map<string, ClientSession>();
  return {
    get size() {
      return sessions.size;
    },
    max: options.max,
    get: (id) => sessions.get(id),
    hasRoom: () => sessions.size < options.max,
    add(session) {
      sessions.set(session.id, session);
    },
    remove(id) {
      const session = sessions.get(id);
      sessions.delete(id);
      return session;
    },
    all: () => sessions.values(),
    idle(now) {
      const cutoff = now - options.idleTtlMs;
      return [...sessions.values()].filter((s) => s.inflight.size === 0 && s.lastActivity < cutoff);
    },
  };
}
