import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildSignatureBase,
  componentValue,
  lowerCaseHeaders,
  needsContentDigest,
  parseSignatureHeaders,
  readSignatureEntry,
  type MessageComponents,
  type SignatureEntry,
} from './signature-base.js';

// RFC 9421 Appendix B.2.6 "Signing a Request Using ed25519", key test-key-ed25519 (B.1.4).
const RFC_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const RFC_SIGNATURE =
  'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
const RFC_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');
const RFC_REQUEST: MessageComponents = {
  method: 'POST',
  authority: 'example.com',
  path: '/foo',
  query: '?param=Value&Pet=dog',
  headers: lowerCaseHeaders({
    Host: 'example.com',
    Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type': 'application/json',
    'Content-Length': '18',
  }),
};

function entryOf(input: string, signature = 'sig1=:AAAA:'): SignatureEntry | string {
  const parsed = parseSignatureHeaders(input, signature);
  if (!parsed.ok) return parsed.reason;
  const first = parsed.value[0];
  if (!first) return 'no candidate';
  const entry = readSignatureEntry(first);
  return entry.ok ? entry.value : entry.reason;
}

describe('RFC 9421 B.2.6', () => {
  it('builds the RFC signature base byte for byte, and node:crypto verifies the RFC signature over it', () => {
    const entry = entryOf(RFC_INPUT, RFC_SIGNATURE);
    if (typeof entry === 'string') throw new Error(entry);
    const base = buildSignatureBase(entry.components, RFC_REQUEST, entry.paramsValue);
    expect(base).toEqual({ ok: true, value: RFC_BASE });
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs' },
      format: 'jwk',
    });
    expect(verify(null, Buffer.from(RFC_BASE), key, entry.signature)).toBe(true);
  });
});

describe('parseSignatureHeaders / readSignatureEntry', () => {
  it('pairs labels in Signature-Input order and reads each keyid', () => {
    const parsed = parseSignatureHeaders('a=("@method");keyid="x", b=("@path");keyid=tok', 'b=:AAAA:, a=:AAAA:');
    expect(parsed.ok && parsed.value.map((c) => [c.label, c.keyid])).toEqual([
      ['a', 'x'],
      ['b', undefined], // a token is not a string keyid
    ]);
  });

  it.each([
    [
      'malformed Signature-Input',
      'sig1=("@method"',
      'sig1=:AAAA:',
      /Signature-Input is not a structured-field dictionary/,
    ],
    ['malformed Signature', 'sig1=("@method")', 'sig1=:AAAA', /Signature is not a structured-field dictionary/],
    ['no labels', '', 'sig1=:AAAA:', /no labels/],
    ['too many labels', Array.from({ length: 9 }, (_, i) => `s${i}=()`).join(', '), '', /more than 8 signature labels/],
    ['an oversized header', `sig1=("${'a'.repeat(9000)}")`, 'sig1=:AAAA:', /too long/],
  ])('refuses %s', (_name, input, signature, reason) => {
    const parsed = parseSignatureHeaders(input, signature);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it.each([
    ['a bare item instead of an inner list', 'sig1="@method"', 'sig1=:AAAA:', /not an inner list/],
    ['no Signature member for the label', 'sig1=("@method")', 'other=:AAAA:', /Signature sig1 missing/],
    ['a signature that is not bytes', 'sig1=("@method")', 'sig1="AAAA"', /not a byte sequence/],
    [
      'an unknown derived component',
      'sig1=("@target-uri")',
      'sig1=:AAAA:',
      /unsupported covered component "@target-uri"/,
    ],
    ['@signature-params as a component', 'sig1=("@signature-params")', 'sig1=:AAAA:', /unsupported covered/],
    ['an upper-case field name', 'sig1=("Content-Digest")', 'sig1=:AAAA:', /unsupported covered component/],
    ['a component parameter', 'sig1=("content-digest";sf)', 'sig1=:AAAA:', /component parameters are not supported/],
    ['a token component', 'sig1=(date)', 'sig1=:AAAA:', /not a string/],
    ['a duplicate component', 'sig1=("@path" "@path")', 'sig1=:AAAA:', /listed twice/],
    [
      'too many components',
      `sig1=(${Array.from({ length: 33 }, (_, i) => `"h${i}"`).join(' ')})`,
      'sig1=:AAAA:',
      /more than 32/,
    ],
  ])('refuses %s', (_name, input, signature, reason) => {
    expect(entryOf(input, signature)).toMatch(reason);
  });

  it('re-serializes @signature-params canonically (whitespace in the header does not matter)', () => {
    const entry = entryOf('sig1=(  "@method"   "@path" );created=1;keyid="a"');
    expect(typeof entry !== 'string' && entry.paramsValue).toBe('("@method" "@path");created=1;keyid="a"');
  });
});

describe('componentValue', () => {
  const message = (over: Partial<MessageComponents>): MessageComponents => ({ ...RFC_REQUEST, ...over });
  it.each<[string, Partial<MessageComponents>, string | undefined]>([
    ['@query', { query: '' }, '?'],
    ['@query', { query: '?a=1&b' }, '?a=1&b'],
    ['@query', { query: 'a=1' }, '?a=1'],
    ['@path', { path: '' }, '/'],
    ['@authority', { authority: 'Example.COM:8443' }, 'example.com:8443'],
    ['@method', { method: 'POST' }, 'POST'],
    ['content-type', {}, 'application/json'],
    ['x-missing', {}, undefined],
    ['@scheme', {}, undefined],
  ])('%s of %j is %j', (name, over, expected) => {
    expect(componentValue(name, message(over))).toBe(expected);
  });

  it('refuses a value with a line break, which could forge the next line of the base', () => {
    const headers = new Map([['x-note', 'a\n"@method": GET']]);
    expect(buildSignatureBase(['x-note'], { ...RFC_REQUEST, headers }, '()')).toEqual({
      ok: false,
      reason: 'covered component x-note contains a line break',
    });
  });

  it('refuses a covered header the request does not have', () => {
    expect(buildSignatureBase(['content-digest'], RFC_REQUEST, '()')).toMatchObject({ ok: false });
  });

  it('combines header lines that differ only in case (RFC 9421 §2.1)', () => {
    expect(lowerCaseHeaders({ 'X-A': '1', 'x-a': '2' }).get('x-a')).toBe('1, 2');
  });
});

describe('needsContentDigest', () => {
  it.each<[string, number, boolean]>([
    ['GET', 0, false],
    ['DELETE', 0, false],
    ['HEAD', 0, false],
    ['get', 0, false],
    ['GET', 5, true],
    ['POST', 0, true],
    ['POST', 10, true],
    ['PUT', 0, true],
  ])('%s with a %i-byte body → %s', (method, length, expected) => {
    expect(needsContentDigest(method, length)).toBe(expected);
  });
});
