/**
 * Narrowed runs on long strings: one pass of the rule set's prefix automaton says which keywords occur and where
 * each regex may start; a regex then runs anchored at those starts (anchored-match.ts), or, without prefixes,
 * inside its segments (segments.ts); the same findings as running it over the whole string. Every narrowed run is
 * held to a cost budget: past it, the caller runs the regex whole, so a hostile string costs at most about twice
 * a whole run.
 */
import { type AnchorablePattern, matchAt, matchWithin } from './anchored-match.js';
import type { CompiledPattern, PrefixSearch } from './compile.js';
import { type SegmentPlan, findSegments } from './segments.js';

/** A pattern whose prefixes occur more often than once per this many characters is searched whole. */
const ANCHOR_MIN_SPACING = 16;

/** What one pass of the prefix automaton found in a string. */
export interface PrefixHits {
  readonly search: PrefixSearch;
  /** Per regex slot: its hits in the order found, how many, and whether it went dense. */
  readonly lists: (Int32Array | undefined)[];
  readonly counts: Int32Array;
  readonly dense: Uint8Array;
  /** The keyword slots whose literal occurs, in the order first seen. */
  readonly keywords: number[];
}

const NO_ANCHORS = new Int32Array(0);

/** One pass of the prefix automaton over a long `text`: which keywords occur, and where each regex may start. */
export function searchPrefixes(search: PrefixSearch | undefined, text: string): PrefixHits | undefined {
  if (!search) return undefined;
  const keywords: number[] = [];
  const limit = Math.ceil(text.length / ANCHOR_MIN_SPACING);
  const lists = new Array<Int32Array | undefined>(search.slotCount);
  const counts = new Int32Array(search.slotCount);
  const dense = new Uint8Array(search.slotCount);
  search.automaton.search(text, (start, slot) => {
    if (search.isPattern[slot] === 0) {
      keywords.push(slot);
      return false; // seen once is all a keyword needs
    }
    // A start inside a surrogate pair is no start: the whole-string search steps over pairs.
    if (start < 0 || isLowSurrogateOfPair(text, start)) return true;
    const count = counts[slot] as number;
    if (count >= limit) {
      dense[slot] = 1; // the regex runs whole
      return false;
    }
    let list = lists[slot];
    if (list === undefined || count === list.length) {
      const grown = new Int32Array(Math.min(limit, Math.max(16, count * 2)));
      if (list) grown.set(list);
      lists[slot] = list = grown;
    }
    list[count] = start;
    counts[slot] = count + 1;
    return true;
  });
  return { search, lists, counts, dense, keywords };
}

/** Where a regex may start (sorted), or undefined when it is to run whole. */
export function anchorsOf(hits: PrefixHits | undefined, pattern: CompiledPattern): Int32Array | undefined {
  const slot = hits?.search.slots.get(pattern);
  if (hits === undefined || slot === undefined || hits.dense[slot] === 1) return undefined;
  const list = hits.lists[slot];
  // Hits come in order of where each prefix ends; prefixes of other lengths and offsets interleave (and repeat).
  return list === undefined ? NO_ANCHORS : list.subarray(0, hits.counts[slot]).sort();
}

function isLowSurrogateOfPair(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 0xdc00 || c > 0xdfff || at === 0) return false;
  const before = text.charCodeAt(at - 1);
  return before >= 0xd800 && before <= 0xdbff;
}

/**
 * The spans of a regex found without reading all of a long `text`: anchored where its prefixes occur (`anchors`,
 * from anchorsOf), or inside its segments; undefined when it is to be run whole (dense prefixes, no plan, or over
 * budget). At most `max`.
 */
export function narrowedSpans(
  pattern: CompiledPattern,
  text: string,
  anchors: Int32Array | undefined,
  max: number,
): { start: number; end: number }[] | undefined {
  if (pattern.kind !== 'regex' || !pattern.anchorable) return undefined;
  try {
    if (anchors) return anchoredSpans(pattern.anchorable, text, anchors, max);
    if (pattern.segments) return segmentSpans(pattern.anchorable, pattern.segments, text, max);
  } catch {
    // Narrowed runs lean on re2js internals (the twin's compile, its engines' input shape): should they ever
    // fail, the whole run gives the same findings.
    return undefined;
  }
  return undefined;
}

/** Like anchoredSpans, searching inside each segment; undefined when over the same budget. */
function segmentSpans(
  pattern: AnchorablePattern,
  plan: SegmentPlan,
  text: string,
  max: number,
): { start: number; end: number }[] | undefined {
  const spans: { start: number; end: number }[] = [];
  const overBudget = budgetFor(text);
  const segments = findSegments(plan, text);
  for (let i = 0; i < segments.length && spans.length < max; i += 2) {
    if ((i & 127) === 126 && overBudget()) return undefined;
    const segmentEnd = segments[i + 1] as number;
    // One character past the segment: the real neighbour for \b and $, never part of a match.
    const end = Math.min(text.length, segmentEnd + 1);
    let from = segments[i] as number;
    while (from < segmentEnd && spans.length < max) {
      const match = matchWithin(pattern, text, from, end);
      if (match === undefined) break;
      spans.push({ start: match.start, end: match.end });
      from = Math.max(match.matchEnd, from + 1);
    }
  }
  return spans;
}

/** Per-character cost allowed to narrowed runs before the regex is run over the whole string instead. */
const NARROWED_NS_PER_CHAR = 12;

/** Whether the narrowed runs over `text` have cost more than their budget since this was called. */
function budgetFor(text: string): () => boolean {
  const started = performance.now();
  const budgetMs = 0.05 + (text.length * NARROWED_NS_PER_CHAR) / 1e6;
  return () => performance.now() - started > budgetMs;
}

/**
 * The spans spansOf would give, found by running the regex only where its prefixes occur. Undefined when those
 * runs cost more than a whole run would (hostile input, say: many prefixes followed by long stretches the regex
 * reads on), so the caller runs it whole: bounded at about twice a whole run, whatever the input.
 */
function anchoredSpans(
  pattern: AnchorablePattern,
  text: string,
  anchors: Int32Array,
  max: number,
): { start: number; end: number }[] | undefined {
  const spans: { start: number; end: number }[] = [];
  const overBudget = budgetFor(text);
  let from = 0;
  for (let i = 0; i < anchors.length && spans.length < max; i++) {
    const at = anchors[i] as number;
    if (at < from) continue;
    from = at + 1; // the same start, announced by two prefixes, is tried once
    if ((i & 63) === 63 && overBudget()) return undefined;
    const match = matchAt(pattern, text, at);
    if (match === undefined) continue;
    spans.push({ start: match.start, end: match.end });
    from = Math.max(match.matchEnd, from);
  }
  return spans;
}
