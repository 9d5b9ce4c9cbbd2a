import { describe, expect, it } from 'vitest';
import { createNonceCache } from './nonce-cache.js';

const TTL = 120_000;

describe('createNonceCache', () => {
  it('remembers a nonce until it expires', () => {
    const cache = createNonceCache();
    expect(cache.remember('bot\nn1', 0, TTL)).toBe('fresh');
    expect(cache.remember('bot\nn1', TTL - 1, TTL)).toBe('replayed');
    expect(cache.remember('bot\nn1', TTL, TTL)).toBe('fresh');
    expect(cache.size).toBe(1);
  });

  it('when full of unexpired nonces, refuses new ones and keeps every old one (fails closed)', () => {
    const cache = createNonceCache({ maxEntries: 3 });
    for (const nonce of ['a', 'b', 'c']) expect(cache.remember(nonce, 0, TTL)).toBe('fresh');
    expect(cache.remember('d', 1, TTL)).toBe('full');
    for (const nonce of ['a', 'b', 'c']) expect(cache.remember(nonce, 2, TTL)).toBe('replayed');
    expect(cache.size).toBe(3);
  });

  it('makes room once entries expire', () => {
    const cache = createNonceCache({ maxEntries: 2 });
    cache.remember('a', 0, TTL);
    cache.remember('b', 10, TTL);
    expect(cache.remember('c', TTL, TTL)).toBe('fresh'); // 'a' expired at TTL
    expect(cache.remember('b', TTL, TTL)).toBe('replayed');
  });

  it('sweeps expired entries that sit behind a live one before refusing', () => {
    const cache = createNonceCache({ maxEntries: 2 });
    cache.remember('long', 0, 10 * TTL);
    cache.remember('short', 0, 1_000);
    expect(cache.remember('new', 2_000, TTL)).toBe('fresh');
    expect(cache.size).toBe(2);
  });
});
