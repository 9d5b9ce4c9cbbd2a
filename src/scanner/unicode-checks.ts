/**
 * Post-match checks for the unicode-attack rules: which invisible characters are how emoji are written (not an
 * attack), which bidi controls sit in right-to-left text (formatting, not a Trojan Source trick), and which words mix
 * scripts the way homoglyph spoofs do.
 */
import type { Validator, ValidatorInput } from './validator-types.js';

const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}/u;

const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;

/**
 * Invisible characters that are not part of an emoji sequence: a ZWJ between two emoji, a variation selector after
 * one, and the tag characters of a subdivision flag (🏴 + lower-case tag letters or digits + CANCEL TAG) are how emoji
 * are written, not an attack. A match may be one character or a run of them; a run of tag characters is judged whole.
 */
export function notEmojiSequence(input: ValidatorInput): boolean {
  const char = input.match.codePointAt(0) ?? 0;
  if (char >= 0xe0000 && char <= 0xe007f) return !flagTagSequence(input.text, input.start);
  const before = codePointBefore(input.text, input.start);
  const after = input.text.codePointAt(input.end);
  const emojiBefore = before !== undefined && EMOJI.test(String.fromCodePoint(before));
  if (char === 0x200d) return !(emojiBefore || isEmojiPart(before)) || !(after !== undefined && EMOJI.test(String.fromCodePoint(after)));
  if (char === 0xfe0f || char === 0xfe0e) {
    if (input.match.length > 1) return true;
    return !(before !== undefined && (emojiBefore || /[#*0-9\u00a9\u00ae\u203c-\u3299]/u.test(String.fromCodePoint(before))));
  }
  return true;
}

function isEmojiPart(codePoint: number | undefined): boolean {
  return codePoint === 0xfe0f || (codePoint !== undefined && codePoint >= 0x1f3fb && codePoint <= 0x1f3ff);
}

function isTag(codePoint: number | undefined): boolean {
  return codePoint !== undefined && codePoint >= 0xe0000 && codePoint <= 0xe007f;
}

/**
 * Whether the run of tag characters around `index` is a well-formed subdivision flag: right after 🏴, one to six tag
 * digits or lower-case tag letters (ISO 3166-2 like "gbsct"), then exactly one CANCEL TAG. Anything else (upper-case
 * tag letters, spaces, punctuation, a long run, no terminator) spells hidden text.
 */
function flagTagSequence(text: string, index: number): boolean {
  let start = index;
  while (isTag(codePointBefore(text, start))) start -= 2;
  if (codePointBefore(text, start) !== BLACK_FLAG) return false;
  let count = 0;
  let i = start;
  for (;;) {
    const cp = text.codePointAt(i);
    if (!isTag(cp)) return false;
    i += 2;
    if (cp === CANCEL_TAG) break;
    const spec = (cp as number) - 0xe0000;
    if (!((spec >= 0x30 && spec <= 0x39) || (spec >= 0x61 && spec <= 0x7a))) return false;
    count++;
  }
  // The cancel tag must end the run: more tags after it are a second, hidden message.
  return count >= 1 && count <= 6 && !isTag(text.codePointAt(i));
}

function codePointBefore(text: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return text.codePointAt(index - 2);
  return low;
}

const RTL_LETTER =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Mende_Kikakui}\p{Script=Yezidi}]/u;

/** How far either side of a bidi control to look for right-to-left letters. */
const RTL_WINDOW = 48;

/**
 * Embeddings and isolates (U+202A–202C, U+2066–2069) are how right-to-left text is laid out inside left-to-right text
 * and back; near Arabic, Hebrew or another RTL script they are formatting. With no RTL letter near, they can only
 * reorder left-to-right text or code as it is displayed: the Trojan Source trick.
 */
export function noRtlContext(input: ValidatorInput): boolean {
  const from = Math.max(0, input.start - RTL_WINDOW);
  const to = Math.min(input.text.length, input.end + RTL_WINDOW);
  return !RTL_LETTER.test(input.text.slice(from, to));
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
  no_rtl_context: noRtlContext,
  mixed_script_word: ({ match }) => mixedScriptWord(match),
};
