/**
 * The verifier's keys: each agent's current key from its `NAME.pub` on disk, joined with the stored key state — the
 * previous key during its rotation grace (kept in the store: the file now holds the new key) and revoked keys.
 */
import type { PublicKeyInfo } from './keys.js';
import { publicKeyFromRaw } from './keys.js';
import { type AgentKeys, type KeyLookup, createKeyLookup } from './key-state.js';

/** A stored key record (see store/key-state-store.ts). */
export interface StoredKey {
  readonly agent: string;
  readonly fingerprint: string;
  /** base64url raw public key. */
  readonly publicKey: string;
  readonly status: 'previous' | 'revoked';
  readonly validUntil: number | null;
}

/** Joins the keys on disk with the stored state. A stored key that no longer parses is skipped (it cannot verify). */
export function buildKeyLookup(onDisk: ReadonlyMap<string, PublicKeyInfo>, stored: readonly StoredKey[]): KeyLookup {
  const byAgent = new Map<string, StoredKey[]>();
  for (const row of stored) byAgent.set(row.agent, [...(byAgent.get(row.agent) ?? []), row]);
  const entries: AgentKeys[] = [];
  for (const [agent, current] of onDisk) {
    const rows = byAgent.get(agent) ?? [];
    const revoked = rows.filter((r) => r.status === 'revoked').map((r) => r.fingerprint);
    const previousRow = rows
      .filter((r) => r.status === 'previous' && r.fingerprint !== current.fingerprint && r.validUntil !== null)
      .sort((a, b) => (b.validUntil ?? 0) - (a.validUntil ?? 0))[0];
    const previous = previousRow ? publicKeyFromRaw(Buffer.from(previousRow.publicKey, 'base64url'), `stored key ${previousRow.fingerprint}`) : undefined;
    entries.push({
      state: {
        agent,
        current: current.fingerprint,
        ...(previous?.ok && previousRow ? { previous: { fingerprint: previous.key.fingerprint, validUntil: previousRow.validUntil ?? 0 } } : {}),
        revoked,
      },
      keys: previous?.ok ? [current, previous.key] : [current],
    });
  }
  return createKeyLookup(entries);
}
