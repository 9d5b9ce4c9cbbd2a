/**
 * Segments for a regex without literal prefixes: every character a match consumes belongs to the set of characters
 * the program can read at all (its "alphabet"), so a match lies inside one maximal run of such characters; and when
 * every match must hold a character of some rare class (non-ASCII, `@`, `:` …), only runs holding one matter. A
 * mixed-script word rule then reads the words that have non-ASCII letters, and an IPv6 rule the runs of hex digits
 * and colons, instead of the whole string. Like literal-prefixes.ts, this is read off the compiled program.
 *
 * A leading wide class (a left context such as `(?:^|[^\w:])`) would make the alphabet everything; when the
 * program reads it only as its first character, it is left out and each segment starts one character early.
 */
import type { RE2JS } from 're2js';
import { FOLD_CASE, type Inst, Op, type Prog, mayReadAstral, programOf, readsCharacter, walk } from './re2-program.js';

export interface SegmentPlan {
  /** 1 for the UTF-16 units a match may consume (past its lead character). */
  readonly alphabet: Uint8Array;
  /** Finds the characters of which every match holds at least one (global; a character class, linear). */
  readonly required: RegExp;
  /** Further classes every match holds one of (a segment without one is skipped): 1 for their units. */
  readonly alsoRequired: readonly Uint8Array[];
  /** Characters before each run that a match may also take (its leading context). */
  readonly lead: 0 | 1 | 2;
  /** Characters after each run that a match may also take (its trailing context). */
  readonly trail: 0 | 1 | 2;
  /** The fewest characters a match has. */
  readonly minLength: number;
}

/** Candidate required classes (UTF-16 unit intervals), rarest in ordinary traffic first. */
const REQUIRED_CANDIDATES: readonly (readonly (readonly [number, number])[])[] = [
  [[0x80, 0xffff]], // non-ASCII
  [[0x40, 0x40]], // @
  [[0x3a, 0x3a]], // :
  [[0x30, 0x39]], // digits
  [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ], // ASCII letters: only ever checked besides a rarer one
];

/** The plan for `re`, or undefined when segments would not be narrower than the whole string. */
export function segmentPlan(re: RE2JS): SegmentPlan | undefined {
  const prog = programOf(re);
  if (!prog) return undefined;
  // Instructions that only ever read a match's first character (not reachable once a character has been read).
  const afterOne = reachableFromRunes(prog);
  const first = new Set([...firstReads(prog)].filter((pc) => !afterOne.has(pc)));
  const last = lastReads(prog);
  const required = requiredClasses(prog);
  if (!required) return undefined;
  // Try the alphabet of every instruction, then without the lead and/or trail characters.
  for (const [lead, trail] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    if ((lead && first.size === 0) || (trail && last.size === 0)) continue;
    const left = new Set<number>([...(lead ? first : []), ...(trail ? last : [])]);
    const alphabet = alphabetOf(prog, left);
    // A run must end somewhere: an alphabet with spaces and newlines in it spans whole texts.
    if (!alphabet || alphabet[0x20] === 1 || alphabet[0x0a] === 1) continue;
    const width = (set: Set<number>): 1 | 2 => ([...set].some((pc) => mayReadAstral(prog.inst[pc] as Inst)) ? 2 : 1);
    return {
      alphabet,
      required: required.first,
      alsoRequired: required.others,
      lead: lead ? width(first) : 0,
      trail: trail ? width(last) : 0,
      minLength: shortestMatch(prog),
    };
  }
  return undefined;
}

/** The units the program's rune instructions read, but for `left`; undefined when one reads any character. */
function alphabetOf(prog: Prog, left: ReadonlySet<number>): Uint8Array | undefined {
  const alphabet = new Uint8Array(65536);
  let astral = false;
  for (let pc = 0; pc < prog.inst.length; pc++) {
    const inst = prog.inst[pc] as Inst;
    if (!readsCharacter(inst) || left.has(pc)) continue;
    const units = unitsOf(inst);
    if (units === 'any') return undefined;
    for (const [lo, hi] of units.ranges) alphabet.fill(1, lo, hi + 1);
    astral ||= units.astral;
  }
  if (astral) alphabet.fill(1, 0xd800, 0xe000);
  return alphabet;
}

/** Rune instructions after which a match can only end: nothing but zero-width steps lead from them to MATCH. */
function lastReads(prog: Prog): Set<number> {
  const found = new Set<number>();
  prog.inst.forEach((inst, pc) => {
    if (!readsCharacter(inst)) return;
    let onlyMatch = true;
    walk(prog, [inst.out], (next) => {
      if (next?.op === Op.MATCH) return false;
      if (!next || readsCharacter(next)) onlyMatch = false;
      return onlyMatch;
    });
    if (onlyMatch) found.add(pc);
  });
  return found;
}

/** The rune instructions a match may begin with. */
function firstReads(prog: Prog): Set<number> {
  const found = new Set<number>();
  walk(prog, [prog.start], (inst, pc) => {
    if (inst && readsCharacter(inst)) found.add(pc);
    return inst !== undefined && !readsCharacter(inst) && inst.op !== Op.MATCH;
  });
  return found;
}

/** Instructions reachable after some character has been read. */
function reachableFromRunes(prog: Prog): Set<number> {
  const reached = new Set<number>();
  const starts = prog.inst.filter(readsCharacter).map((inst) => inst.out);
  walk(prog, starts, (_, pc) => {
    reached.add(pc);
    return true;
  });
  return reached;
}

/** What a rune instruction reads: BMP ranges (inclusive) and whether anything beyond the BMP. */
type Units = 'any' | { readonly ranges: readonly (readonly [number, number])[]; readonly astral: boolean };

const unitsCache = new WeakMap<Inst, Units>();

function unitsOf(inst: Inst): Units {
  let units = unitsCache.get(inst);
  if (units === undefined) {
    units = computeUnits(inst);
    unitsCache.set(inst, units);
  }
  return units;
}

function computeUnits(inst: Inst): Units {
  if (inst.op === Op.RUNE_ANY || inst.op === Op.RUNE_ANY_NOT_NL) return 'any';
  const ranges: [number, number][] = [];
  let astral = false;
  const { runes } = inst;
  if (runes.length === 1) {
    const r = runes[0] as number;
    const variants = new Set([r]);
    if ((inst.arg & FOLD_CASE) !== 0 && r <= 0xffff) for (const v of caseOrbit(r)) variants.add(v);
    for (const v of variants)
      if (v > 0xffff) astral = true;
      else ranges.push([v, v]);
    return { ranges, astral };
  }
  for (let i = 0; i + 1 < runes.length; i += 2) {
    const lo = runes[i] as number;
    const hi = runes[i + 1] as number;
    if (hi > 0xffff) astral = true;
    if (lo <= 0xffff) ranges.push([lo, Math.min(hi, 0xffff)]);
  }
  return { ranges, astral };
}

/** Units whose case orbit is more than themselves and their upper and lower case (σ ς Σ, k K K, s S ſ …). */
let wideOrbits: Map<number, readonly number[]> | undefined;

/**
 * The BMP units a case-folded rune also matches: its upper and lower case, and every unit with the same upper or
 * lower case as it (a superset of Unicode's simple case folding, which re2js follows).
 */
function caseOrbit(rune: number): number[] {
  wideOrbits ??= findWideOrbits();
  const s = String.fromCharCode(rune);
  const cases = [s.toUpperCase(), s.toLowerCase()].filter((c) => c.length === 1).map((c) => c.charCodeAt(0));
  return [rune, ...cases, ...[rune, ...cases].flatMap((c) => wideOrbits?.get(c) ?? [])];
}

/** Groups of more than two units sharing an upper or a lower case; kept small (a few hundred units). */
function findWideOrbits(): Map<number, readonly number[]> {
  const found = new Map<number, readonly number[]>();
  for (const fold of [(s: string) => s.toUpperCase(), (s: string) => s.toLowerCase()]) {
    const key = new Int32Array(0xd800);
    const count = new Uint8Array(0xd800);
    for (let c = 0; c < 0xd800; c++) {
      const folded = fold(String.fromCharCode(c));
      key[c] = folded.length === 1 ? folded.charCodeAt(0) : -1;
      if (folded.length === 1 && folded.charCodeAt(0) < 0xd800)
        count[folded.charCodeAt(0)] = Math.min(255, (count[folded.charCodeAt(0)] as number) + 1);
    }
    const groups = new Map<number, number[]>();
    for (let c = 0; c < 0xd800; c++) {
      const k = key[c] as number;
      if (k >= 0 && k < 0xd800 && (count[k] as number) > 2) groups.set(k, [...(groups.get(k) ?? []), c]);
    }
    for (const members of groups.values()) for (const c of members) found.set(c, [...(found.get(c) ?? []), ...members]);
  }
  return found;
}

/**
 * The candidate classes of which every match must read a character, rarest first: the first as a search, the
 * others as bitmaps; undefined if none but ASCII letters (which occur everywhere).
 */
function requiredClasses(prog: {
  inst: readonly Inst[];
  start: number;
}): { first: RegExp; others: Uint8Array[] } | undefined {
  // Rarest of all: the non-ASCII characters the program reads where it reads nothing else (homoglyphs, invisible
  // characters), when every match needs one.
  const own = nonAsciiOnlyRanges(prog);
  const candidates = own.length > 0 ? [own, ...REQUIRED_CANDIDATES] : REQUIRED_CANDIDATES;
  const found = candidates.filter((ranges) => isRequired(prog, ranges));
  const [first, ...others] = found;
  if (!first || (first[0] as [number, number])[0] === 0x41) return undefined;
  const members = first.map(([lo, hi]) => `\\u${hex4(lo)}-\\u${hex4(hi)}`).join('');
  const bitmaps = others.map((ranges) => {
    const bitmap = new Uint8Array(65536);
    for (const [lo, hi] of ranges) bitmap.fill(1, lo, hi + 1);
    return bitmap;
  });
  return { first: new RegExp(`[${members}]`, 'g'), others: bitmaps };
}

/** The BMP ranges of the instructions that read only non-ASCII characters, merged. */
function nonAsciiOnlyRanges(prog: Prog): [number, number][] {
  const ranges: [number, number][] = [];
  for (const inst of prog.inst) {
    if (!readsCharacter(inst)) continue;
    const units = unitsOf(inst);
    if (units === 'any' || units.astral || units.ranges.length === 0) continue;
    if (units.ranges.every(([lo]) => lo >= 0x80)) for (const [lo, hi] of units.ranges) ranges.push([lo, hi]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

/** Whether every match must read a character of `ranges`. */
function isRequired(
  prog: { inst: readonly Inst[]; start: number },
  ranges: readonly (readonly [number, number])[],
): boolean {
  // Does the instruction read only characters of the class?
  const within = (inst: Inst): boolean => {
    const units = unitsOf(inst);
    return (
      units !== 'any' &&
      !units.astral &&
      units.ranges.length > 0 &&
      units.ranges.every(([a, b]) => ranges.some(([lo, hi]) => a >= lo && b <= hi))
    );
  };
  // Can a match be completed without reading one?
  let matched = false;
  walk(prog, [prog.start], (inst) => {
    if (!inst || inst.op === Op.MATCH) matched = true; // no instruction: anything could happen there
    return !matched && !(readsCharacter(inst as Inst) && within(inst as Inst));
  });
  return !matched;
}

function hex4(c: number): string {
  return c.toString(16).padStart(4, '0');
}

/** The fewest characters on any path to a match (0–1 breadth-first search). */
function shortestMatch(prog: Prog): number {
  const distance = new Map<number, number>([[prog.start, 0]]);
  const deque: number[] = [prog.start];
  while (deque.length > 0) {
    const pc = deque.shift() as number;
    const here = distance.get(pc) as number;
    const inst = prog.inst[pc];
    if (!inst) continue;
    if (inst.op === Op.MATCH) return here;
    const edges: [number, number][] = readsCharacter(inst)
      ? [[inst.out, 1]]
      : inst.op === Op.ALT || inst.op === Op.ALT_MATCH
        ? [
            [inst.out, 0],
            [inst.arg, 0],
          ]
        : [[inst.out, 0]];
    for (const [to, cost] of edges) {
      const d = here + cost;
      if (d >= (distance.get(to) ?? Infinity)) continue;
      distance.set(to, d);
      if (cost === 0) deque.unshift(to);
      else deque.push(to);
    }
  }
  return 0;
}

function holdsAll(classes: readonly Uint8Array[], text: string, start: number, end: number): boolean {
  return classes.every((bitmap) => {
    for (let i = start; i < end; i++) if (bitmap[text.charCodeAt(i)] === 1) return true;
    return false;
  });
}

/** Segments closer than this are searched as one window: a search costs more to start than to read this far. */
const MERGE_GAP = 64;

/**
 * The windows of `text` a match of the plan's regex may lie in, as [start, end) pairs: each maximal run of alphabet
 * characters that holds a required one (found by a native character-class search, so runs without one are never
 * read), widened by the lead, kept when long enough for a match, and merged with a near neighbour.
 */
export function findSegments(plan: SegmentPlan, text: string): number[] {
  const out: number[] = [];
  const { alphabet, lead, trail, minLength } = plan;
  const required = new RegExp(plan.required.source, 'g');
  let scanned = 0;
  for (let found = required.exec(text); found !== null; found = required.exec(text)) {
    const at = found.index;
    if (at < scanned) continue;
    // A required character outside the alphabet can only be a lead or trail character: the runs around it count.
    const inRun = alphabet[text.charCodeAt(at)] === 1;
    let runStart = at;
    while (runStart > scanned && alphabet[text.charCodeAt(runStart - 1)] === 1) runStart--;
    let runEnd = inRun ? at : at + 1;
    while (runEnd < text.length && alphabet[text.charCodeAt(runEnd)] === 1) runEnd++;
    scanned = runEnd;
    required.lastIndex = runEnd;
    const start = Math.max(0, runStart - lead);
    const end = Math.min(text.length, runEnd + trail);
    if (end - start < minLength || !holdsAll(plan.alsoRequired, text, start, end)) continue;
    const last = out.length - 1;
    if (last > 0 && start - (out[last] as number) < MERGE_GAP) out[last] = Math.max(out[last] as number, end);
    else out.push(start, end);
  }
  return out;
}
