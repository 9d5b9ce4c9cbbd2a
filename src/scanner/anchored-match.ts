/**
 * Runs a compiled re2js pattern anchored at one position of a string, seeing the whole string around it (so `\b`,
 * `^` and `$` read the real neighbours). re2js anchors only at the start of its input and takes that start for the
 * start of the text, so the search starts one character early with a twin of the pattern that reads that character
 * first (`(?s:.)(?:…)`): the pattern's own assertions then see the real character before the position. The input is
 * an object of the shape re2js's matchers read, over the whole string (no copies); re2js is pinned exactly, and
 * anchored-match.test.ts checks these results against re2js's own full search.
 */
import { RE2JS } from 're2js';

const UNANCHORED = 0;
const ANCHOR_START = 1;
// re2js's empty-width context bits (Utils.EMPTY_*).
const BEGIN_LINE = 1;
const END_LINE = 2;
const BEGIN_TEXT = 4;
const END_TEXT = 8;
const WORD_BOUNDARY = 16;
const NO_WORD_BOUNDARY = 32;

interface Engine {
  executeEngine(input: unknown, pos: number, anchor: number, ncap: number): number[] | null;
  readonly prefix: string;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * A UTF-16 input whose position 0 is `offset` of `text` and which ends at `end` (the text's end unless told), with
 * the context of the whole text.
 */
class OffsetInput {
  readonly start: number;
  readonly end: number;
  constructor(
    private readonly text: string,
    offset: number,
    end = text.length,
  ) {
    this.start = offset;
    this.end = end;
  }
  canCheckPrefix(): boolean {
    return true;
  }
  endPos(): number {
    return this.end - this.start;
  }
  hasString(): boolean {
    return true; // only asked for unanchored prefilters: never here
  }
  hasAnyString(): boolean {
    return true;
  }
  step(pos: number): number {
    const at = pos + this.start;
    if (at >= this.end) return -8; // EOF
    const c1 = this.text.charCodeAt(at);
    if (c1 < 0xd800 || c1 > 0xdbff || at + 1 >= this.end) return (c1 << 3) | 1;
    const c2 = this.text.charCodeAt(at + 1);
    if (c2 >= 0xdc00 && c2 <= 0xdfff) return (((c1 - 0xd800) * 1024 + (c2 - 0xdc00) + 0x10000) << 3) | 2;
    return (c1 << 3) | 1;
  }
  index(re2: Engine, pos: number): number {
    const from = pos + this.start;
    const i = this.text.indexOf(re2.prefix, from);
    return i < 0 || i > this.end - re2.prefix.length ? -1 : i - from;
  }
  context(pos: number): number {
    const at = pos + this.start;
    const r1 = at > 0 && at <= this.end ? this.text.charCodeAt(at - 1) : -1;
    const r2 = at < this.text.length ? this.text.charCodeAt(at) : -1;
    let op = 0;
    if (r1 < 0) op |= BEGIN_TEXT | BEGIN_LINE;
    if (r1 === 10) op |= BEGIN_LINE;
    if (r2 < 0) op |= END_TEXT | END_LINE;
    if (r2 === 10) op |= END_LINE;
    op |= isWordChar(r1) !== isWordChar(r2) ? WORD_BOUNDARY : NO_WORD_BOUNDARY;
    return op;
  }
  prefixLength(re2: Engine): number {
    return re2.prefix.length;
  }
}

function engineOf(re: RE2JS): Engine {
  return (re as unknown as { re2Input: Engine }).re2Input;
}

/** A pattern prepared for anchored runs: itself, and its twin that first reads the character before the position. */
export interface AnchorablePattern {
  readonly re: RE2JS;
  /** Compiled on first use: only strings of anchorMinChars or more need it, and compiled programs are not small. */
  afterOne(): RE2JS;
  readonly grouped: boolean;
}

/** Prepares `source` (compiled with `flags`) for matchAt. */
export function prepareAnchored(re: RE2JS, source: string, flags: number): AnchorablePattern {
  let twin: RE2JS | undefined;
  return { re, afterOne: () => (twin ??= RE2JS.compile(`(?s:.)(?:${source})`, flags)), grouped: re.groupCount() > 0 };
}

/** Where a match was found: the span to report (group 1 when it took part) and where the whole match ends. */
export interface AnchoredMatch {
  readonly start: number;
  readonly end: number;
  readonly matchEnd: number;
}

/**
 * The leftmost-first match of `re` that starts exactly at `pos` of `text`: [start, end] of group 1 when the pattern
 * has a group that took part, else of the whole match; undefined when none starts there.
 */
export function matchAt(pattern: AnchorablePattern, text: string, pos: number): AnchoredMatch | undefined {
  return search(pattern, text, { from: pos, end: text.length, anchor: ANCHOR_START });
}

/**
 * The leftmost-first match of `pattern` that starts at `from` or later and lies before `end` (exclusive), seeing the
 * real characters around it. Callers choose `end` so that no match can reach it (segments.ts): a match that did
 * would be cut short there.
 */
export function matchWithin(
  pattern: AnchorablePattern,
  text: string,
  from: number,
  end: number,
): AnchoredMatch | undefined {
  return search(pattern, text, { from, end, anchor: UNANCHORED });
}

function search(
  pattern: AnchorablePattern,
  text: string,
  { from, end, anchor }: { from: number; end: number; anchor: number },
): AnchoredMatch | undefined {
  // At 0 the input's start is the text's start, as re2js assumes; elsewhere the twin reads text[from - 1] first.
  const twin = from > 0;
  const engine = engineOf(twin ? pattern.afterOne() : pattern.re);
  const base = twin ? from - 1 : 0;
  const input = new OffsetInput(text, base, end);
  // Is there one at all (the cheapest engine)? Then where, with one that reports positions.
  if (engine.executeEngine(input, 0, anchor, 0) === null) return undefined;
  const cap = engine.executeEngine(input, 0, anchor, pattern.grouped ? 4 : 2);
  if (cap === null) return undefined;
  const [s0 = 0, e0 = 0, s1 = -1, e1 = -1] = cap;
  // The twin's first character is the one before the pattern's match.
  const start = base + s0 + (twin ? 1 : 0);
  const matchEnd = base + e0;
  return pattern.grouped && s1 >= 0
    ? { start: base + s1, end: base + e1, matchEnd }
    : { start, end: matchEnd, matchEnd };
}
