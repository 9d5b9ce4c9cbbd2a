/**
 * Literal prefixes of a compiled pattern: a small set of lower-case strings such that every match of the pattern
 * starts with one of them. Read off the program re2js actually runs (its NFA), not off the pattern text, so the set
 * cannot disagree with the engine. The scanner searches the prefixes in one pass and runs the pattern only where
 * one occurs (anchored there), instead of over the whole string.
 *
 * Sound by construction: a path through the program is followed one character at a time; it stops (keeping what it
 * has read) at anything broad, non-ASCII or when the set grows too large, so each prefix is a prefix of every match
 * that took that path. Zero-width assertions are passed through, which only ever adds prefixes.
 */
import type { RE2JS } from 're2js';

/** The longest prefix kept: longer ones occur less often, and a few characters already make anchored runs rare. */
const MAX_PREFIX = 6;
/** More distinct prefixes than this and the pattern is run whole (the set would cost more than it saves). */
const MAX_PREFIXES = 48;
/** A character class wider than this (after folding) ends a prefix. */
const MAX_CLASS = 12;

// re2js Inst opcodes and flags (re2js is pinned exactly; src/scanner/anchored-match.test.ts checks them).
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const FAIL = 5;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;

interface Inst {
  readonly op: number;
  readonly out: number;
  readonly arg: number;
  readonly runes: Int32Array;
}

interface Prog {
  readonly inst: readonly Inst[];
  readonly start: number;
}

/** The program of a compiled pattern (re2js internals; undefined if they are not what this module expects). */
export function programOf(re: RE2JS): Prog | undefined {
  const prog = (re as unknown as { re2Input?: { prog?: Prog } }).re2Input?.prog;
  return prog && Array.isArray(prog.inst) && typeof prog.start === 'number' ? prog : undefined;
}

/**
 * Lower-cases text the way prefixes are compared: `toLowerCase`, plus the one fold re2js makes onto an ASCII letter
 * that toLowerCase does not (ſ U+017F → s; the Kelvin sign already lower-cases to k). Undefined when the length
 * would change (İ), since positions must line up with the original.
 */
export function foldForSearch(text: string): string | undefined {
  let folded = text.toLowerCase();
  if (folded.length !== text.length) return undefined;
  if (folded.includes('\u017f')) folded = folded.replaceAll('\u017f', 's');
  return folded;
}

/** Every match of `re` starts with one of the returned strings (lower-case ASCII); undefined: no such small set. */
export function literalPrefixes(re: RE2JS): readonly string[] | undefined {
  const prog = programOf(re);
  if (!prog) return undefined;
  const done = new Set<string>();
  let frontier = new Map<string, Set<number>>([['', new Set([prog.start])]]);
  while (frontier.size > 0) {
    const next = new Map<string, Set<number>>();
    for (const [prefix, pcs] of frontier) {
      const stepped = stepPrefix(prog, prefix, pcs, next);
      if (stepped === 'stop') {
        if (prefix === '') return undefined; // a match may start with anything (or be empty)
        done.add(prefix);
      }
    }
    if (done.size + next.size > MAX_PREFIXES) {
      // Too many ways to go on: every path keeps what it has read so far.
      for (const prefix of frontier.keys()) if (prefix === '') return undefined;
      for (const prefix of frontier.keys()) done.add(prefix);
      break;
    }
    for (const prefix of [...next.keys()]) {
      if (prefix.length >= MAX_PREFIX) {
        done.add(prefix);
        next.delete(prefix);
      }
    }
    frontier = next;
  }
  return done.size > 0 && done.size <= MAX_PREFIXES ? minimal([...done]) : undefined;
}

/**
 * Follows every thread of `pcs` (all having read `prefix`) over one more character, adding what it reads to `next`.
 * 'stop' when some thread can match here or reads something too broad: `prefix` is then as far as this path goes.
 */
function stepPrefix(
  prog: Prog,
  prefix: string,
  pcs: ReadonlySet<number>,
  next: Map<string, Set<number>>,
): 'stop' | 'ok' {
  const seen = new Set<number>();
  const stack = [...pcs];
  const reads: { chars: string[]; out: number }[] = [];
  while (stack.length > 0) {
    const pc = stack.pop() as number;
    if (seen.has(pc)) continue;
    seen.add(pc);
    const inst = prog.inst[pc];
    if (!inst) return 'stop';
    switch (inst.op) {
      case ALT:
      case ALT_MATCH:
        stack.push(inst.out, inst.arg);
        break;
      case CAPTURE:
      case EMPTY_WIDTH:
      case NOP:
        stack.push(inst.out);
        break;
      case FAIL:
        break;
      case RUNE:
      case RUNE1: {
        const chars = foldedChars(inst);
        if (!chars) return 'stop';
        reads.push({ chars, out: inst.out });
        break;
      }
      default:
        return 'stop'; // MATCH (6), any character, lookbehind, or an opcode this module does not know
    }
  }
  if (seen.size === 0) return 'stop';
  for (const { chars, out } of reads) {
    for (const char of chars) {
      const key = prefix + char;
      const set = next.get(key) ?? new Set<number>();
      set.add(out);
      next.set(key, set);
    }
  }
  return 'ok';
}

function foldedChars(inst: Inst): string[] | undefined {
  const { runes } = inst;
  const out = new Set<string>();
  if (runes.length === 1) {
    const rune = runes[0] as number;
    if (rune >= 0x80) return undefined;
    // Folded or not, the character lower-cases to one prefix character: a folded k or s also matches K and ſ,
    // which foldForSearch maps onto k and s.
    out.add(String.fromCharCode(rune).toLowerCase());
    return [...out];
  }
  for (let i = 0; i + 1 < runes.length; i += 2) {
    const lo = runes[i] as number;
    const hi = runes[i + 1] as number;
    if (hi >= 0x80 || hi - lo >= MAX_CLASS) return undefined;
    for (let r = lo; r <= hi; r++) out.add(String.fromCharCode(r).toLowerCase());
    if (out.size > MAX_CLASS) return undefined;
  }
  return out.size > 0 ? [...out] : undefined;
}

/** Drops every prefix that has a shorter one of the set as its own prefix (the shorter one finds it anyway). */
function minimal(prefixes: string[]): string[] {
  prefixes.sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const p of prefixes) if (!kept.some((k) => p.startsWith(k))) kept.push(p);
  return kept;
}
