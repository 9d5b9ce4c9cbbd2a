/**
 * Key rotation and revocation state (DESIGN.md §4): which of an agent's keys may sign right now.
 * Threat: a stolen or retired key that still signs; how it fails: a key not named current, or previous within its
 * grace, or that is revoked, is not usable (the verifier refuses it).
 */
import type { PublicKeyInfo } from './keys.js';

/** Rotation/revocation state of one agent, by key fingerprint. Persisted by the key store (not this module). */
export interface KeyState {
  readonly agent: string;
  /** Fingerprint of the key that signs now. */
  readonly current: string;
  /** The key replaced by the last rotation, accepted until `validUntil` (ms since the epoch). */
  readonly previous?: { readonly fingerprint: string; readonly validUntil: number };
  /** Fingerprints that never verify again, even when current or previous. */
  readonly revoked: readonly string[];
}

/** What the verifier knows about one agent: its candidate keys and their state. */
export interface AgentKeys {
  readonly state: KeyState;
  readonly keys: readonly PublicKeyInfo[];
}

/** The verifier's view of the key store. */
export interface KeyLookup {
  lookup(agent: string): AgentKeys | undefined;
}

/** Whether a key may sign at a given time, and in which role. */
export type KeyStatus =
  | { readonly usable: true; readonly role: 'current' | 'previous' }
  | { readonly usable: false; readonly reason: string };

/** The verifier tries at most this many keys per agent, so a long key history cannot multiply the work per request. */
export const MAX_KEYS_PER_AGENT = 8;

/** The state of an agent that has never rotated: its one key is current, nothing is revoked. */
export function initialKeyState(agent: string, key: PublicKeyInfo): KeyState {
  return { agent, current: key.fingerprint, revoked: [] };
}

/** Decides whether the key with `fingerprint` may sign at `now` (ms); revocation wins over everything. */
export function keyStatus(state: KeyState, fingerprint: string, now: number): KeyStatus {
  if (state.revoked.includes(fingerprint)) return { usable: false, reason: 'key revoked' };
  if (fingerprint === state.current) return { usable: true, role: 'current' };
  if (state.previous?.fingerprint === fingerprint) {
    if (now <= state.previous.validUntil) return { usable: true, role: 'previous' };
    return { usable: false, reason: 'previous key past its rotation grace period' };
  }
  return { usable: false, reason: 'key is neither the current nor the previous key' };
}

/** A frozen KeyLookup over a fixed set of agents; two entries for one agent are a bug and throw. */
export function createKeyLookup(entries: Iterable<AgentKeys>): KeyLookup {
  const byAgent = new Map<string, AgentKeys>();
  for (const entry of entries) {
    if (byAgent.has(entry.state.agent)) throw new Error(`duplicate key state for agent ${entry.state.agent}`);
    byAgent.set(entry.state.agent, Object.freeze({ state: entry.state, keys: [...entry.keys] }));
  }
  return Object.freeze({ lookup: (agent: string) => byAgent.get(agent) });
}

/** A KeyLookup for a keys directory with no stored state: every agent's one key is current. */
export function keyLookupFromDir(keys: ReadonlyMap<string, PublicKeyInfo>): KeyLookup {
  return createKeyLookup([...keys].map(([agent, key]) => ({ state: initialKeyState(agent, key), keys: [key] })));
}
