import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './key-files.js';
import { parsePublicKeyPem } from './keys.js';
import { buildKeyLookup } from './key-registry.js';
import { keyStatus } from './key-state.js';

function key() {
  const parsed = parsePublicKeyPem(generateKeyPair().publicKeyPem, 'test');
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.key;
}

describe('buildKeyLookup', () => {
  const current = key();
  const old = key();
  const stored = (status: 'previous' | 'revoked', validUntil: number | null, k = old) => ({
    agent: 'a',
    fingerprint: k.fingerprint,
    publicKey: Buffer.from(k.raw).toString('base64url'),
    status,
    validUntil,
  });

  it('makes the file key current and a stored previous key usable until its grace ends', () => {
    const entry = buildKeyLookup(new Map([['a', current]]), [stored('previous', 2_000)]).lookup('a');
    expect(entry?.keys.map((k) => k.fingerprint)).toEqual([current.fingerprint, old.fingerprint]);
    expect(keyStatus(entry!.state, old.fingerprint, 1_999)).toMatchObject({ usable: true, role: 'previous' });
    expect(keyStatus(entry!.state, old.fingerprint, 2_001)).toMatchObject({ usable: false });
    expect(keyStatus(entry!.state, current.fingerprint, 9_999)).toMatchObject({ usable: true, role: 'current' });
  });

  it('refuses revoked keys, the current one included', () => {
    const entry = buildKeyLookup(new Map([['a', current]]), [stored('revoked', null, current)]).lookup('a');
    expect(keyStatus(entry!.state, current.fingerprint, 0)).toMatchObject({ usable: false, reason: 'key revoked' });
  });

  it('knows no agent without a key file, whatever is stored', () => {
    expect(buildKeyLookup(new Map(), [stored('previous', 9e15)]).lookup('a')).toBeUndefined();
  });

  it('skips a stored key that does not parse', () => {
    const bad = { ...stored('previous', 9e15), publicKey: 'AAAA' };
    expect(buildKeyLookup(new Map([['a', current]]), [bad]).lookup('a')?.keys).toHaveLength(1);
  });
});
