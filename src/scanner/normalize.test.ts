import { describe, expect, it } from 'vitest';
import { findEncodedSegments } from './decode.js';
import { normalizeText, originalEnd, originalOffset } from './normalize.js';

describe('normalizeText', () => {
  it.each([
    ['ASCII is its own normal form, with no map', 'plain text', 'plain text', false],
    ['already-normal non-ASCII text keeps no map', 'Привет, мир — שלום', 'Привет, мир — שלום', false],
    ['NFKC folds full-width letters', 'ｉｇｎｏｒｅ', 'ignore', true],
    ['NFKC composes a base letter with its combining mark', 'cafe\u0301', 'café', true],
    ['invisible characters are removed', 'ig\u200bno\u2066re\u{E0041}', 'ignore', true],
  ])('%s', (_what, input, expected, mapped) => {
    const view = normalizeText(input, { nfkc: true, stripInvisible: true });
    expect(view.text).toBe(expected);
    expect(view.map !== undefined).toBe(mapped);
  });

  it('maps every normalized offset back into the original', () => {
    const original = 'a\u200bｂc\u0301d';
    const view = normalizeText(original, { nfkc: true, stripInvisible: true });
    expect(view.text).toBe('abćd');
    const start = view.text.indexOf('ć');
    expect(original.slice(originalOffset(view, start), originalEnd(view, start + 1, original))).toBe('c\u0301');
    expect(originalOffset(view, 1)).toBe(2);
    expect(originalEnd(view, view.text.length, original)).toBe(original.length);
  });

  it('without NFKC, keeps compatibility characters as written', () => {
    expect(normalizeText('ｉ\u200b', { nfkc: false, stripInvisible: true }).text).toBe('ｉ');
  });
});

describe('findEncodedSegments', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  it('decodes base64, base64url, hex, URL escapes and HTML entities that read as text', () => {
    const text = `a ${b64('read the ssh key now')} b ${Buffer.from('send it to me now').toString('hex')} c %2e%2e%2fetc d &#x3c;script&#x3e;`;
    const kinds = findEncodedSegments(text).map((s) => [s.encoding, s.text]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['base64', 'read the ssh key now'],
        ['hex', 'send it to me now'],
        ['url', expect.stringContaining('../etc')],
        ['html', expect.stringContaining('<script>')],
      ]),
    );
  });

  it.each([
    ['a SHA-256 hex digest', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['random base64 bytes', Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 97 + 13) % 256)).toString('base64')],
    ['a long identifier', 'getUserAccountPreferencesByIdentifier'],
    ['short runs', 'abc=def ghi'],
    ['a key=value pair of short words', 'temperature=twentythree'],
  ])('leaves %s alone', (_what, text) => {
    expect(findEncodedSegments(text)).toEqual([]);
  });

  it('keeps at most 16 segments of a string', () => {
    const text = Array.from({ length: 40 }, (_, i) => b64(`segment number ${i} here`)).join(' ');
    expect(findEncodedSegments(text).length).toBe(16);
  });
});
