import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { matchAt, prepareAnchored } from './anchored-match.js';

const at = (source: string, text: string, pos: number, flags = 0) =>
  matchAt(prepareAnchored(RE2JS.compile(source, flags), source, flags), text, pos);

describe('matchAt', () => {
  it.each([
    ['a match that starts at the position', 'foo', 'xx foo', 3, { start: 3, end: 6, matchEnd: 6 }],
    ['none that starts later', 'foo', 'xx foo', 2, undefined],
    ['\\b sees the character before the position', '\\bfoo', 'xfoo', 1, undefined],
    ['\\b at a real boundary', '\\bfoo', 'x foo', 2, { start: 2, end: 5, matchEnd: 5 }],
    ['^ is the start of the whole text, not of the position', '^foo', 'a\nfoo', 2, undefined],
    ['(?m)^ after a newline', '(?m)^foo', 'a\nfoo', 2, { start: 2, end: 5, matchEnd: 5 }],
    ['$ is the end of the whole text', 'foo$', 'foo bar', 0, undefined],
    ['\\b after the match sees the next character', 'foo\\b', 'foox', 0, undefined],
    [
      'group 1 is the span, the whole match its end',
      'key=([a-z]+)',
      'a key=abc!',
      2,
      { start: 6, end: 9, matchEnd: 9 },
    ],
    ['leftmost-first, as the full search', 'ab|abc', 'abc', 0, { start: 0, end: 2, matchEnd: 2 }],
    ['a surrogate pair is one character', 'x.y', 'x\u{1F600}y', 0, { start: 0, end: 4, matchEnd: 4 }],
    ['case folding', 'send', 'SEND it', 0, { start: 0, end: 4, matchEnd: 4 }, RE2JS.CASE_INSENSITIVE],
  ])('%s', (_, source, text, pos, expected, flags = 0) => {
    expect(at(source, text, pos, flags)).toEqual(expected);
  });

  it('agrees with the full search at every position of a text', () => {
    const sources = [
      '\\bfoo\\b',
      '(?m)^\\s*bar$',
      '^foo',
      'ba+r?',
      '(?i)\\bse(nd)\\b[^.]{0,5}x',
      'a|ab|abc',
      '(?:^|[^a-z])(ab)',
    ];
    const text = 'foo bar\n  bar\nxfoo foox foo. baar br SEND ..x send a x abcab ab a';
    for (const source of sources) {
      const re = RE2JS.compile(source);
      const pattern = prepareAnchored(re, source, 0);
      const { grouped } = pattern;
      const matcher = re.matcher(text);
      const full: { start: number; end: number }[] = [];
      while (matcher.find())
        full.push(
          grouped ? { start: matcher.start(1), end: matcher.end(1) } : { start: matcher.start(), end: matcher.end() },
        );
      const anchored: { start: number; end: number }[] = [];
      for (let pos = 0; pos < text.length;) {
        const match = matchAt(pattern, text, pos);
        if (match) {
          anchored.push({ start: match.start, end: match.end });
          pos = Math.max(match.matchEnd, pos + 1);
        } else pos++;
      }
      expect(anchored, source).toEqual(full);
    }
  });
});
