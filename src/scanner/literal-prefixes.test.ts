import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { foldForSearch, literalPrefixes, programOf } from './literal-prefixes.js';

const prefixesOf = (source: string, flags = 0): readonly string[] | undefined =>
  literalPrefixes(RE2JS.compile(source, flags));

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
    ['an optional digit first', '[0-9]?ab', 0, ['ab', ...'0123456789'.split('').map((d) => `${d}ab`)]],
    ['a match shorter than six characters', 'ab|cde', 0, ['ab', 'cde']],
    ['a wide class ends the prefix', 'key[a-z0-9]+', 0, ['key']],
  ])('%s: %s', (_, source, flags, expected) => {
    expect([...(prefixesOf(source, flags) ?? [])].sort()).toEqual([...expected].sort());
  });

  it.each([
    ['a match may start with a wide class', '[a-z]+@'],
    ['a match may start with any character', '.foo'],
    ['a match may be empty', 'a*'],
    ['a match may start with a non-ASCII character', '\\x{202E}'],
    ['an optional wide class first', '[0-9a-f]?abc'],
    ['one side of an alternation has no prefix', 'abc|[a-z]x'],
  ])('%s: %s has none', (_, source) => {
    expect(prefixesOf(source)).toBeUndefined();
  });

  it('keeps the set small: too many ways to go on gives shorter prefixes or none', () => {
    const many = Array.from({ length: 80 }, (_, i) => `w${i.toString(36)}x${i}`).join('|');
    const found = prefixesOf(many);
    expect(found === undefined || found.length <= 48).toBe(true);
  });
});

describe('foldForSearch', () => {
  it('lower-cases and maps the long s onto s, keeping every position', () => {
    expect(foldForSearch('ſYSTEM Kelvin')).toBe('system kelvin');
  });
  it('refuses text whose length lower-casing would change', () => {
    expect(foldForSearch('İstanbul')).toBeUndefined();
  });
});
