import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH, parseReadQuery, parseSendBody } from './message-input.js';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('parseSendBody', () => {
  it.each([
    ['{"to":"bob","content":"hi"}', { to: 'bob', content: 'hi', metadata: null, from: undefined }],
    ['{"to":"bob","content":null}', { to: 'bob', content: null, metadata: null, from: undefined }],
    [
      '{"to":"bot.v2","content":[1],"metadata":{"k":"v"},"from":"alice"}',
      { to: 'bot.v2', content: [1], metadata: { k: 'v' }, from: 'alice' },
    ],
    [
      `{"to":"bob","content":${nested(MAX_MESSAGE_DEPTH)}}`,
      { to: 'bob', content: expect.any(Array), metadata: null, from: undefined },
    ],
  ])('accepts %s', (text, value) => {
    expect(parseSendBody(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['', 'parse_error'],
    ['{"to":"bob",', 'parse_error'],
    ['"just a string"', 'invalid'],
    ['[{"to":"bob","content":1}]', 'invalid'],
    ['{"content":1}', 'invalid'],
    ['{"to":"","content":1}', 'invalid'],
    ['{"to":"-bob","content":1}', 'invalid'],
    ['{"to":"bob/../x","content":1}', 'invalid'],
    [`{"to":"${'b'.repeat(65)}","content":1}`, 'invalid'],
    ['{"to":"bob"}', 'invalid'],
    ['{"to":"bob","content":1,"metadata":null}', 'invalid'],
    ['{"to":"bob","content":1,"metadata":"x"}', 'invalid'],
    ['{"to":"bob","content":1,"from":7}', 'invalid'],
    ['{"to":"bob","content":1,"__proto__":{}}', 'invalid'],
    [`{"to":"bob","content":${nested(MAX_MESSAGE_DEPTH + 1)}}`, 'invalid'],
    [`{"to":"bob","content":1,"metadata":{"a":${nested(MAX_MESSAGE_DEPTH)}}}`, 'invalid'],
    // Deep enough to overflow JSON.stringify: refused by the depth check, never serialized.
    [`{"to":"bob","content":${nested(200_000)}}`, 'invalid'],
    [JSON.stringify({ to: 'bob', content: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'too_large'],
    [JSON.stringify({ to: 'bob', content: 'x', metadata: { pad: 'é'.repeat(MAX_MESSAGE_BYTES / 2) } }), 'too_large'],
  ])('refuses %s as %s', (text, problem) => {
    expect(parseSendBody(text)).toMatchObject({ ok: false, problem });
  });

  it('counts UTF-8 bytes of content and metadata against the limit', () => {
    const fits = 'x'.repeat(MAX_MESSAGE_BYTES - 2);
    expect(parseSendBody(JSON.stringify({ to: 'bob', content: fits })).ok).toBe(true);
    expect(parseSendBody(JSON.stringify({ to: 'bob', content: `${fits}x` })).ok).toBe(false);
  });
});

describe('parseReadQuery', () => {
  it.each([
    ['', { after: 0, limit: 100 }],
    ['after=0', { after: 0, limit: 100 }],
    ['after=42&limit=1', { after: 42, limit: 1 }],
    ['limit=100', { after: 0, limit: 100 }],
    ['after=9007199254740991', { after: 9_007_199_254_740_991, limit: 100 }],
  ])('accepts ?%s', (query, value) => {
    expect(parseReadQuery(new URLSearchParams(query))).toEqual({ ok: true, value });
  });

  it.each([
    'after=',
    'after=-1',
    'after=+1',
    'after=01',
    'after=1.0',
    'after=1e2',
    'after=0x10',
    'after=9007199254740992',
    'after=%201',
    'limit=0',
    'limit=101',
    'limit=007',
    'limit=',
    'after=1&after=2',
    'limit=1&limit=1',
    'cursor=1',
  ])('refuses ?%s', (query) => {
    expect(parseReadQuery(new URLSearchParams(query))).toMatchObject({ ok: false, problem: 'invalid' });
  });
});
