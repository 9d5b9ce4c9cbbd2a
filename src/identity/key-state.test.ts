import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './key-files.js';
import { createKeyLookup, initialKeyState, keyLookupFromDir, keyStatus, type KeyState } from './key-state.js';
import { parsePublicKeyPem } from './keys.js';

const NOW = 1_800_000_000_000;
const state: KeyState = {
  agent: 'bot',
  current: 'cur',
  previous: { fingerprint: 'prev', validUntil: NOW },
  revoked: ['gone'],
};

describe('keyStatus', () => {
  it.each<[string, KeyState, string, ReturnType<typeof keyStatus>]>([
    ['the current key', state, 'cur', { usable: true, role: 'current' }],
    ['the previous key at the end of its grace', state, 'prev', { usable: true, role: 'previous' }],
    ['a revoked key', state, 'gone', { usable: false, reason: 'key revoked' }],
    ['a revoked current key', { ...state, revoked: ['cur'] }, 'cur', { usable: false, reason: 'key revoked' }],
    [
      'a revoked previous key in grace',
      { ...state, revoked: ['prev'] },
      'prev',
      { usable: false, reason: 'key revoked' },
    ],
    ['an unknown key', state, 'other', { usable: false, reason: 'key is neither the current nor the previous key' }],
  ])('%s', (_name, keyState, fingerprint, expected) => {
    expect(keyStatus(keyState, fingerprint, NOW)).toEqual(expected);
  });

  it('refuses the previous key one millisecond after its grace', () => {
    expect(keyStatus(state, 'prev', NOW + 1)).toEqual({
      usable: false,
      reason: 'previous key past its rotation grace period',
    });
  });
});

describe('key lookups', () => {
  const pub = parsePublicKeyPem(generateKeyPair().publicKeyPem, 'bot.pub');
  if (!pub.ok) throw new Error(pub.problem);

  it('a keys directory without stored state makes each agent’s key current', () => {
    const lookup = keyLookupFromDir(new Map([['bot', pub.key]]));
    expect(lookup.lookup('bot')?.state).toEqual(initialKeyState('bot', pub.key));
    expect(lookup.lookup('bot')?.state.current).toBe(pub.key.fingerprint);
    expect(lookup.lookup('nobody')).toBeUndefined();
  });

  it('refuses two entries for one agent', () => {
    const entry = { state: initialKeyState('bot', pub.key), keys: [pub.key] };
    expect(() => createKeyLookup([entry, entry])).toThrow(/duplicate key state for agent bot/);
  });
});
