import { describe, expect, it } from 'vitest';
import { createContentDigest, verifyContentDigest } from './content-digest.js';

// RFC 9530 §2 / RFC 9421 examples: the 18-byte body {"hello": "world"}.
const BODY = '{"hello": "world"}';
const SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
const SHA512 = 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:';

describe('createContentDigest', () => {
  it.each([
    ['sha-256', SHA256],
    ['sha-512', SHA512],
  ] as const)('matches the RFC value for %s', (algorithm, expected) => {
    expect(createContentDigest(BODY, algorithm)).toBe(expected);
    expect(createContentDigest(new TextEncoder().encode(BODY), algorithm)).toBe(expected);
  });

  it('defaults to sha-256 and hashes strings as UTF-8', () => {
    expect(createContentDigest('é')).toBe(createContentDigest(new Uint8Array([0xc3, 0xa9])));
    expect(createContentDigest(BODY)).toBe(SHA256);
  });
});

describe('verifyContentDigest', () => {
  it.each([
    ['sha-256', SHA256],
    ['sha-512', SHA512],
    ['both', `${SHA256}, ${SHA512}`],
    ['an unknown algorithm beside a good one', `md5=:AAAA:, ${SHA256}`],
    ['parameters on the member', `${SHA256};note=1`],
  ])('accepts %s', (_name, header) => {
    expect(verifyContentDigest(header, BODY)).toEqual({ ok: true });
  });

  it.each([
    ['the digest of another body', createContentDigest('{"hello": "mallory"}'), /sha-256 does not match/],
    ['a right sha-256 with a wrong sha-512', `${SHA256}, sha-512=:AAAA:`, /sha-512 does not match/],
    ['only unsupported algorithms', 'md5=:HJkSkmJy8SKyxnAsDl2ANg==:, unixsum=:AAAA:', /no sha-256 or sha-512/],
    ['an empty header', '', /no sha-256 or sha-512/],
    ['a token instead of bytes', 'sha-256=abc', /not a byte sequence/],
    ['an inner list', 'sha-256=(:AAAA:)', /not a byte sequence/],
    ['invalid base64', 'sha-256=:%%%:', /not a structured-field dictionary/],
    ['not a dictionary', 'sha-256 X48E9qOokq', /not a structured-field dictionary/],
    ['a truncated digest', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWx:', /does not match/],
    ['an oversized header', `${SHA256}, ${'x=1, '.repeat(1000)}y=1`, /too long/],
  ])('refuses %s', (_name, header, reason) => {
    const result = verifyContentDigest(header, BODY);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
