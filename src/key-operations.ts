/**
 * `keys list|rotate|revoke` (DESIGN.md §4), shared by the admin API (gateway running) and the CLI (no gateway).
 * Rotation records the old key as previous (valid for `rotation_grace_s`) before the new pair replaces the files,
 * so a client signing with either key is never refused mid-rotation. Revocation applies to the next request.
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, isAgentName } from './identity/key-files.js';
import { readPublicKeyFile } from './identity/keys.js';
import type { KeyStateStore } from './store/key-state-store.js';

export interface KeyView {
  readonly agent: string;
  readonly current: string | null;
  readonly previous: { readonly fingerprint: string; readonly valid_until: string } | null;
  readonly revoked: readonly string[];
}

export type KeyOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export interface KeyOperations {
  view(agent: string): Promise<KeyView>;
  rotate(agent: string, by: string): Promise<KeyOutcome<{ fingerprint: string; previous: string; keyPath: string; pubPath: string }>>;
  revoke(agent: string, fingerprint: string | undefined, by: string): Promise<KeyOutcome<{ fingerprint: string }>>;
}

export function createKeyOperations(options: {
  readonly keysDir: string;
  readonly store: KeyStateStore;
  readonly graceS: () => number;
  readonly now?: () => number;
}): KeyOperations {
  const now = options.now ?? Date.now;
  const pubPath = (agent: string): string => join(options.keysDir, `${agent}.pub`);
  const current = async (agent: string) => readPublicKeyFile(pubPath(agent));

  return {
    async view(agent) {
      const key = await current(agent);
      const rows = options.store.list(agent);
      const previous = rows.filter((r) => r.status === 'previous' && (r.validUntil ?? 0) > now()).at(-1);
      return {
        agent,
        current: key.ok ? key.key.fingerprint : null,
        previous: previous ? { fingerprint: previous.fingerprint, valid_until: new Date(previous.validUntil ?? 0).toISOString() } : null,
        revoked: rows.filter((r) => r.status === 'revoked').map((r) => r.fingerprint),
      };
    },
    async rotate(agent, by) {
      if (!isAgentName(agent)) return { ok: false, problem: `invalid agent name "${agent}"` };
      const old = await current(agent);
      if (!old.ok) return { ok: false, problem: `no current key to rotate: ${old.problem}` };
      const at = now();
      const publicKey = Buffer.from(old.key.raw).toString('base64url');
      options.store.markPrevious({ agent, fingerprint: old.key.fingerprint, publicKey, validUntil: at + options.graceS() * 1000, changedAt: at, changedBy: by });
      const pair = generateKeyPair();
      const keyPath = join(options.keysDir, `${agent}.key`);
      await replaceFile(keyPath, pair.privateKeyPem, 0o600);
      await replaceFile(pubPath(agent), pair.publicKeyPem, 0o644);
      return { ok: true, value: { fingerprint: pair.fingerprint, previous: old.key.fingerprint, keyPath, pubPath: pubPath(agent) } };
    },
    async revoke(agent, fingerprint, by) {
      if (!isAgentName(agent)) return { ok: false, problem: `invalid agent name "${agent}"` };
      const key = await current(agent);
      const target = fingerprint ?? (key.ok ? key.key.fingerprint : undefined);
      if (target === undefined) return { ok: false, problem: `agent ${agent} has no current key; name one with --fingerprint` };
      const stored = options.store.list(agent).find((r) => r.fingerprint === target);
      const publicKey = key.ok && key.key.fingerprint === target ? Buffer.from(key.key.raw).toString('base64url') : stored?.publicKey;
      if (publicKey === undefined) return { ok: false, problem: `agent ${agent} has no key ${target}` };
      options.store.revoke({ agent, fingerprint: target, publicKey, changedAt: now(), changedBy: by });
      return { ok: true, value: { fingerprint: target } };
    },
  };
}

/** Writes a file whole, then renames it over the old one: readers see the old or the new key, never half of one. */
async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode, flag: 'wx' });
  await chmod(temp, mode);
  await rename(temp, path);
}
