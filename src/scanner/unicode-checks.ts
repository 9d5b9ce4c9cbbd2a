/**
 * Post-match checks for the unicode-attack rules: which invisible characters are how emoji are written (not an
 * attack), and which words mix scripts the way homoglyph spoofs do.
 */
import type { Validator, ValidatorInput } from './validator-types.js';

const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}/u;

/**
 * Invisible characters that are not part of an emoji sequence: a ZWJ between two emoji, a variation selector after
 * one, and tag characters after the black flag (subdivision flags) are how emoji are written, not an attack.
 */
export function notEmojiSequence(input: ValidatorInput): boolean {
  const before = codePointBefore(input.text, input.start);
  const after = input.text.codePointAt(input.end);
  const char = input.match.codePointAt(0) ?? 0;
  const emojiBefore = before !== undefined && EMOJI.test(String.fromCodePoint(before));
  if (char === 0x200d) return !(emojiBefore || isEmojiPart(before)) || !(after !== undefined && EMOJI.test(String.fromCodePoint(after)));
  if (char === 0xfe0f || char === 0xfe0e) return !(before !== undefined && (emojiBefore || /[#*0-9\u00a9\u00ae\u203c-\u3299]/u.test(String.fromCodePoint(before))));
  if (char >= 0xe0020 && char <= 0xe007f) return !flagTagSequence(input.text, input.start);
  return true;
}

function isEmojiPart(codePoint: number | undefined): boolean {
  return codePoint === 0xfe0f || (codePoint !== undefined && codePoint >= 0x1f3fb && codePoint <= 0x1f3ff);
}

function flagTagSequence(text: string, start: number): boolean {
  let i = start;
  while (i > 0) {
    const previous = codePointBefore(text, i);
    if (previous === undefined) return false;
    if (previous === 0x1f3f4) return true;
    if (previous < 0xe0020 || previous > 0xe007f) return false;
    i -= 2;
  }
  return false;
}

function codePointBefore(text: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return text.codePointAt(index - 2);
  return low;
}

const LATIN = /\p{Script=Latin}/u;
const CONFUSABLE_SCRIPTS = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}]/u;

/** A word that mixes Latin letters with Cyrillic, Greek, Armenian or Cherokee ones: the shape of a homoglyph spoof. */
export function mixedScriptWord(value: string): boolean {
  return LATIN.test(value) && CONFUSABLE_SCRIPTS.test(value);
}


/** The unicode validators, by the name a rule gives in `validate`. */
export const UNICODE_VALIDATORS: Readonly<Record<string, Validator>> = {
  not_emoji_sequence: notEmojiSequence,
  mixed_script_word: ({ match }) => mixedScriptWord(match),
};
