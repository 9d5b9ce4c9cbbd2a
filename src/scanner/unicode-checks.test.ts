import { describe, expect, it } from 'vitest';
import { mixedScriptWord, noRtlContext, notEmojiSequence } from './unicode-checks.js';

/** Runs a validator on the first occurrence of `match` in `text`, as the scanner would call it. */
function at(text: string, match: string): { match: string; text: string; start: number; end: number } {
  const start = text.indexOf(match);
  if (start < 0) throw new Error(`${JSON.stringify(match)} not in ${JSON.stringify(text)}`);
  return { match, text, start, end: start + match.length };
}

const tags = (ascii: string): string => [...ascii].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) ?? 0))).join('');
const CANCEL = String.fromCodePoint(0xe007f);
const FLAG = '\u{1F3F4}';

describe('notEmojiSequence', () => {
  it.each([
    ['ZWJ between two emoji (family)', '👨\u200d👩\u200d👧', '\u200d', false],
    ['ZWJ after a skin-tone modifier', '👩🏽\u200d💻', '\u200d', false],
    ['ZWJ after VS16 (rainbow flag)', '🏳\ufe0f\u200d🌈', '\u200d', false],
    ['ZWJ between letters', 'is\u200dAdmin', '\u200d', true],
    ['ZWJ after an emoji but before a letter', '😀\u200dx', '\u200d', true],
    ['VS16 after an emoji', '❤\ufe0f', '\ufe0f', false],
    ['VS16 after a keycap digit', '1\ufe0f\u20e3', '\ufe0f', false],
    ['VS16 after a Latin letter', 'a\ufe0f', '\ufe0f', true],
    ['a run of variation selectors after an emoji', '😀\ufe0f\ufe0f', '\ufe0f\ufe0f', true],
    ['subdivision flag (England)', `${FLAG}${tags('gbeng')}${CANCEL}`, `${tags('gbeng')}${CANCEL}`, false],
    ['subdivision flag (Scotland), matched from its first tag', `x ${FLAG}${tags('gbsct')}${CANCEL} y`, tags('g'), false],
    ['tags with no black flag', `hello${tags('ignore')}`, tags('ignore'), true],
    ['tags after another emoji', `😈${tags('Repeat')}`, tags('Repeat'), true],
    ['upper-case tags after the black flag', `${FLAG}${tags('GBENG')}${CANCEL}`, `${tags('GBENG')}${CANCEL}`, true],
    ['flag tags with no cancel tag', `${FLAG}${tags('gbeng')}`, tags('gbeng'), true],
    ['a hidden message after a valid flag', `${FLAG}${tags('gbeng')}${CANCEL}${tags('hi')}`, `${tags('gbeng')}${CANCEL}${tags('hi')}`, true],
    ['a long run of tags after the black flag', `${FLAG}${tags('abcdefghij')}${CANCEL}`, tags('abcdefghij'), true],
    ['a zero-width space', 'a\u200bb', '\u200b', true],
  ])('%s', (_what, text, match, finding) => {
    expect(notEmojiSequence(at(text, match))).toBe(finding);
  });
});

describe('noRtlContext', () => {
  it.each([
    ['isolates in ASCII code (Trojan Source)', '/* \u2067 } \u2066if (isAdmin)\u2069 \u2066 begin */', '\u2067', true],
    ['an embedding in English text', 'Click \u202bhere\u202c now', '\u202b', true],
    ['an isolate around an Arabic name', 'User \u2068محمد\u2069 joined', '\u2068', false],
    ['an isolate around a Hebrew word', 'From \u2067דוד\u2069:', '\u2069', false],
    ['RTL text too far away to count', `שלום${' '.repeat(80)}x\u2066y`, '\u2066', true],
  ])('%s', (_what, text, match, finding) => {
    expect(noRtlContext(at(text, match))).toBe(finding);
  });
});

describe('mixedScriptWord', () => {
  it.each([
    ['Latin word with a Cyrillic er and a', 'раypal', true],
    ['Latin word with a Cyrillic capital en', 'sayНello', true],
    ['Latin word with a Greek omicron', 'gοogle', true],
    ['Latin word with an Armenian oh', 'g\u0585ogle', true],
    ['all Latin', 'paypal', false],
    ['all Cyrillic', 'привет', false],
    ['all Greek', 'Ελλάδα', false],
    ['Latin with accents', 'café', false],
  ])('%s', (_what, word, finding) => {
    expect(mixedScriptWord(word)).toBe(finding);
  });
});
