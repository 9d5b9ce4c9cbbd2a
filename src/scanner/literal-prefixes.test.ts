import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { literalPrefixes } from './literal-prefixes.js';
import { programOf } from './re2-program.js';
import { createPrefixAutomaton, foldUnit } from './prefix-automaton.js';

/** Prefixes as "text" (offset 0) or "text@offset", sorted. */
const prefixesOf = (source: string, flags = 0): string[] | undefined =>
  literalPrefixes(RE2JS.compile(source, flags))
    ?.map((p) => (p.offset === 0 ? p.text : `${p.text}@${p.offset}`))
    .sort();

describe('literalPrefixes', () => {
  it('reads the program re2js runs', () => {
    expect(programOf(RE2JS.compile('abc'))).toBeDefined();
  });

  it.each([
    ['a literal, cut to six characters', 'ignore previous', 0, ['ignore']],
    ['case-insensitive, folded', 'SeNd', RE2JS.CASE_INSENSITIVE, ['send']],
    ['case-sensitive capitals are searched folded (a superset)', 'AKIA[0-9A-Z]{16}', 0, ['akia']],
    ['an alternation', '\\b(?:curl|wget)\\b', RE2JS.CASE_INSENSITIVE, ['curl', 'wget']],
    ['zero-width assertions are passed through', '^\\bfoo', 0, ['foo']],
    ['a capture group', '(sk-ant-)x', 0, ['sk-ant']],
    ['a small class widens the set', '[ab]cd', 0, ['acd', 'bcd']],
    ['an optional part: both ways', 'a?bc', 0, ['abc', 'bc']],
    ['a loop is followed up to six characters', '(?:ab)+c', 0, ['ababab', 'ababc', 'abc']],
    ['every digit reads as 0', '\\d{3}-\\d{2}', 0, ['000-00']],
    ['digits fold inside literals too', 'sq0|4b1d', 0, ['0b0d', 'sq0']],
    ['an optional digit first', '[0-9]?ab', 0, ['0ab', 'ab']],
    ['a match shorter than six characters', 'ab|cde', 0, ['ab', 'cde']],
    ['a wide class ends the prefix', 'key[a-z0-9]+', 0, ['key']],
    ['one wide left-context character is skipped', '(?:^|[^\\d.-])(\\d{3})', 0, ['000', '000@1', '000@2']],
    ['a BMP-only left context skips one unit', '[a-z]xyz', 0, ['xyz@1']],
    ['any character first', '.foo', 0, ['foo@1', 'foo@2']],
    ['two wide characters first', '\\b[A-Z]{2}\\d{2}', 0, ['00@2']],
    [
      'the first characters skipped whatever they are, when that gives longer prefixes',
      '\\b[A-Z]{3}[ABCFGHLJPT][A-Z]\\d{4}[A-Z]',
      0,
      ['0000@5'],
    ],
  ])('%s: %s', (_, source, flags, expected) => {
    expect(prefixesOf(source, flags)).toEqual([...expected].sort());
  });

  it.each([
    ['a match may start with three wide characters', '[a-z]{3}@'],
    ['a match may start with a wide loop', '[a-z]+@'],
    ['a match may be empty', 'a*'],
    ['a match may be one wide character', '[a-z]'],
    ['a match may start with non-ASCII characters only', '\\x{202E}\\x{202D}'],
    ['one side of an alternation has no prefix', 'abc|[a-z]{3}x'],
  ])('%s: %s has none', (_, source) => {
    expect(prefixesOf(source)).toBeUndefined();
  });

  it('keeps the set small: too many ways to go on gives shorter prefixes or none', () => {
    const many = Array.from({ length: 80 }, (_, i) => `w${i.toString(36)}x${i}`).join('|');
    const found = prefixesOf(many);
    expect(found === undefined || found.length <= 48).toBe(true);
  });
});

describe('the prefix automaton', () => {
  const hits = (literals: { text: string; offset: number }[], text: string): string[] => {
    const found: string[] = [];
    createPrefixAutomaton(literals.map((l, slot) => ({ ...l, slot }))).search(
      text,
      (start, slot) => found.push(`${slot}@${start}`) > 0,
    );
    return found;
  };

  it('reads text folded: capitals, the Kelvin sign and the long s, every digit as 0', () => {
    expect(hits([{ text: 'sk', offset: 0 }], 'SK ſK sk')).toEqual(['0@0', '0@3', '0@6']);
    expect(hits([{ text: '00-0', offset: 0 }], 'a 12-3 b 98-7')).toEqual(['0@2', '0@9']);
    expect(foldUnit('7'.charCodeAt(0))).toBe('0'.charCodeAt(0));
  });

  it('reads any script folded, and surrogate halves as themselves', () => {
    expect(hits([{ text: 'ра', offset: 0 }], 'РА ра Ра')).toEqual(['0@0', '0@3', '0@6']);
    expect(hits([{ text: '\udb40', offset: 0 }], 'a\u{E0041}b')).toEqual(['0@1']);
  });

  it('reports overlapping literals and places each by its offset', () => {
    expect(
      hits(
        [
          { text: 'abc', offset: 0 },
          { text: 'bc', offset: 1 },
          { text: 'c', offset: 0 },
        ],
        'xabc',
      ),
    ).toEqual(['0@1', '1@1', '2@3']);
  });

  it('refuses a literal that is not folded', () => {
    expect(() => createPrefixAutomaton([{ text: 'Ab', slot: 0, offset: 0 }])).toThrow(/not folded/);
  });
});
