/**
 * Literal prefixes of a compiled pattern: a small set of short folded strings, each with an offset, such that every
 * match of the pattern has one of them at that offset from its start (`\b(?:curl|wget)` → `curl`, `wget` at 0;
 * `(?:^|[^\d.-])\d{3}` → `000` at 0 or 1). Read off the program re2js actually runs (its NFA), not off the pattern
 * text, so the set cannot disagree with the engine. The scanner finds them all in one pass (prefix-automaton.ts) and
 * runs the pattern only where one occurs, anchored there, instead of over the whole string.
 *
 * Folding: ASCII letters compare case-insensitively (a folded k or s also matches K U+212A and ſ U+017F, which the
 * automaton reads as k and s), and every ASCII digit reads as `0`, so a digit class is one character wide.
 *
 * Sound by construction: a path through the program is followed one character at a time; it stops (keeping what it
 * has read) at anything broad or non-ASCII, or when the set grows too large, so each prefix starts every match that
 * took that path. Up to two wide characters may be skipped before the first literal one (a left-context class, a
 * letter pair before digits): the offset counts one unit for each, or one or two where a class reaches beyond the
 * BMP. Zero-width assertions are passed through, which only ever adds prefixes.
 */
import type { RE2JS } from 're2js';
import { foldUnit } from './prefix-automaton.js';
import {
  type Inst,
  Op,
  type Prog,
  isZeroWidth,
  mayReadAstral,
  programOf,
  readsCharacter,
  walk,
} from './re2-program.js';

/** A folded string that every match of the pattern holds at `offset` (UTF-16 units) from its start. */
export interface LiteralPrefix {
  readonly offset: number;
  readonly text: string;
}

/** The longest prefix kept: longer ones occur less often, and a few characters already make anchored runs rare. */
const MAX_PREFIX = 6;
/** At most this many leading characters are skipped whatever they are (one of the ways tried). */
const MAX_FORCED = 6;
/** The shortest prefix worth searching for. */
const MIN_PREFIX = 2;
/** More distinct prefixes than this and the pattern is run whole (the set would cost more than it saves). */
const MAX_PREFIXES = 48;
/** A character class wider than this (after folding) ends a prefix. */
const MAX_CLASS = 12;
/** Wide characters that may be skipped before the first literal one (left context, a letter pair before digits). */
const MAX_SKIPPED = 2;

/** The folded form of one ASCII character, as the prefix automaton reads text (prefix-automaton.ts foldUnit). */
function foldChar(c: string): string {
  return String.fromCharCode(foldUnit(c.charCodeAt(0)));
}

/**
 * Every match of `re` holds one of the returned prefixes; undefined: no such small set. Of the ways to read the
 * program (skip wide characters as they come, or skip the first 1…MAX_FORCED characters whatever they are, as for
 * `[A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}`), the one whose shortest prefix is longest wins: it occurs least often.
 */
export function literalPrefixes(re: RE2JS): readonly LiteralPrefix[] | undefined {
  const prog = programOf(re);
  if (!prog) return undefined;
  let best: readonly LiteralPrefix[] | undefined;
  let bestScore = 0;
  for (let forced = 0; forced <= MAX_FORCED; forced++) {
    const found = prefixesFor(prog, forced);
    if (!found) continue;
    const score = Math.min(...found.map((p) => p.text.length)) * 1000 - found.length;
    if (score > bestScore) {
      best = found;
      bestScore = score;
    }
  }
  return best;
}

function prefixesFor(prog: Prog, forced: number): readonly LiteralPrefix[] | undefined {
  const done = new Map<string, LiteralPrefix>();
  // Frontier: one entry per lead, with the threads that are there.
  let frontier: Frontier = new Map([
    ['0|0|', { lead: { offset: 0, text: '', skipped: 0 }, pcs: new Set([prog.start]) }],
  ]);
  while (frontier.size > 0) {
    const next: Frontier = new Map();
    for (const { lead, pcs } of frontier.values()) {
      if (stepPrefix(prog, { lead, pcs, forced }, next) === 'stop') {
        if (lead.text === '') return undefined; // a match may start with anything, or be empty
        done.set(`${lead.offset}|${lead.text}`, { offset: lead.offset, text: lead.text });
      }
    }
    if (done.size + next.size > MAX_PREFIXES) {
      // Too many ways to go on: every path keeps what it has read so far.
      for (const { lead } of frontier.values()) {
        if (lead.text === '') return undefined;
        done.set(`${lead.offset}|${lead.text}`, { offset: lead.offset, text: lead.text });
      }
      break;
    }
    for (const [key, { lead }] of [...next]) {
      if (lead.text.length >= MAX_PREFIX) {
        done.set(`${lead.offset}|${lead.text}`, { offset: lead.offset, text: lead.text });
        next.delete(key);
      }
    }
    frontier = next;
  }
  const found = [...done.values()];
  // A one-character prefix occurs nearly everywhere: anchored runs would cost more than a whole run.
  if (found.length === 0 || found.length > MAX_PREFIXES || found.some((p) => p.text.length < MIN_PREFIX))
    return undefined;
  return minimal(found);
}

/** A path's progress: what it has read, after skipping `skipped` wide characters (`offset` units). */
interface Lead extends LiteralPrefix {
  readonly skipped: number;
}

type Frontier = Map<string, { lead: Lead; pcs: Set<number> }>;

function advance(next: Frontier, lead: Lead, out: number): void {
  const key = `${lead.skipped}|${lead.offset}|${lead.text}`;
  const entry = next.get(key) ?? { lead, pcs: new Set<number>() };
  entry.pcs.add(out);
  next.set(key, entry);
}

/**
 * Follows every thread of `pcs` (all at `lead`) over one more character, adding where each goes to `next`. 'stop'
 * when some thread can match here or reads something too broad: `lead` is then as far as this path goes.
 */
function stepPrefix(
  prog: Prog,
  { lead, pcs, forced }: { lead: Lead; pcs: ReadonlySet<number>; forced: number },
  next: Frontier,
): 'stop' | 'ok' {
  const moves: { lead: Lead; out: number }[] = [];
  let stop = false;
  walk(prog, [...pcs], (inst) => {
    if (inst && isZeroWidth(inst)) return true;
    if (inst?.op === Op.FAIL) return false;
    // MATCH, lookbehind, an opcode this module does not know, or no instruction: the path ends here.
    if (!inst || !readsCharacter(inst)) {
      stop = true;
      return false;
    }
    const chars = inst.op === Op.RUNE || inst.op === Op.RUNE1 ? foldedChars(inst) : undefined;
    const skip = (): void => {
      const skipped = lead.skipped + 1;
      moves.push({ lead: { offset: lead.offset + 1, text: '', skipped }, out: inst.out });
      if (mayReadAstral(inst)) moves.push({ lead: { offset: lead.offset + 2, text: '', skipped }, out: inst.out });
    };
    if (forced > 0 && lead.skipped < forced)
      skip(); // told to skip this character whatever it is
    else if (chars) for (const char of chars) moves.push({ lead: { ...lead, text: lead.text + char }, out: inst.out });
    else if (forced === 0 && lead.text === '' && lead.skipped < MAX_SKIPPED)
      skip(); // a wide one before any literal
    else stop = true;
    return false;
  });
  if (stop || pcs.size === 0) return 'stop';
  for (const move of moves) advance(next, move.lead, move.out);
  return 'ok';
}

/** The folded characters a rune instruction reads, or undefined when too many or not ASCII. */
function foldedChars(inst: Inst): string[] | undefined {
  const { runes } = inst;
  const out = new Set<string>();
  if (runes.length === 1) {
    const rune = runes[0] as number;
    return rune < 0x80 ? [foldChar(String.fromCharCode(rune))] : undefined;
  }
  for (let i = 0; i + 1 < runes.length; i += 2) {
    const lo = runes[i] as number;
    const hi = runes[i + 1] as number;
    if (hi >= 0x80) return undefined;
    // Digits fold to one character; anything else is counted one by one.
    const digitsLo = Math.max(lo, 0x30);
    const digitsHi = Math.min(hi, 0x39);
    if (digitsLo <= digitsHi) out.add('0');
    if (hi - lo - Math.max(0, digitsHi - digitsLo + 1) >= MAX_CLASS) return undefined;
    for (let r = lo; r <= hi; r++) if (r < 0x30 || r > 0x39) out.add(foldChar(String.fromCharCode(r)));
    if (out.size > MAX_CLASS) return undefined;
  }
  return out.size > 0 ? [...out] : undefined;
}

/** Drops every prefix that another of the same offset starts (the shorter one finds it anyway). */
function minimal(prefixes: LiteralPrefix[]): LiteralPrefix[] {
  prefixes.sort((a, b) => a.text.length - b.text.length);
  const kept: LiteralPrefix[] = [];
  for (const p of prefixes) if (!kept.some((k) => k.offset === p.offset && p.text.startsWith(k.text))) kept.push(p);
  return kept;
}
