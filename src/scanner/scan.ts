/**
 * The scan of one value on one surface: walk the JSON (strings are read where they are, never as escaped JSON),
 * build each normalized view once, prefilter by keyword, run the candidate patterns, validate, map offsets back to
 * the original string, and rescan decoded segments. Everything is bounded: bytes read (`max_scan_bytes`, beyond which
 * the scan reports `oversize`), depth, findings, decode depth.
 */
import { type AnchorablePattern, matchAt, matchWithin } from './anchored-match.js';
import type { CompiledPattern, CompiledRule, CompiledSurface, PrefixSearch, RuleGroup, ViewKind } from './compile.js';
import { findEncodedSegments } from './decode.js';
import { type TextIndex, containsKeyword, indexText, keywordKey, presentKeys } from './keyword-filter.js';
import { type NormalizedView, type TextFacts, normalizeText, originalEnd, originalOffset } from './normalize.js';
import type { Severity } from './rule-schema.js';
import { type SegmentPlan, findSegments } from './segments.js';
import { VALIDATOR_TABLE } from './validators.js';

/** What a rule found: where (RFC 6901 pointer, UTF-16 offsets into the original string) and which rule. */
export interface RuleFinding {
  readonly rule: string;
  readonly name: string;
  readonly category: string;
  readonly severity: Severity;
  readonly pointer: string;
  readonly start: number;
  readonly end: number;
  /** Set when the match was inside an encoded segment (the offsets then span the whole segment). */
  readonly encoding?: string;
}

export interface ScanLimits {
  readonly maxScanBytes: number;
  readonly maxDepth: number;
  /**
   * Findings kept in all. Reaching it is reported as `oversize` (so `oversize_action` applies): stopping quietly
   * would let a value pad itself with harmless findings to hide a later one.
   */
  readonly maxFindings: number;
  /** Findings kept per rule over the whole value; a rule that has them is not run again (its action is decided). */
  readonly findingsPerRule: number;
  /** How many times decoded text is itself searched for encodings. */
  readonly maxDecodeDepth: number;
  /** Matches kept per rule per string. */
  readonly matchesPerRule: number;
  /**
   * Strings at least this long run each regex only where its literal prefixes occur (same findings, less work);
   * shorter ones are searched whole by every regex, which costs less than finding prefixes first.
   */
  readonly anchorMinChars: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxScanBytes: 8_388_608,
  maxDepth: 64,
  maxFindings: 256,
  findingsPerRule: 16,
  maxDecodeDepth: 2,
  matchesPerRule: 4,
  anchorMinChars: 512,
};

export interface ScanOutcome {
  readonly findings: readonly RuleFinding[];
  /** Part of the value was not read: over `maxScanBytes` or nested deeper than `maxDepth`. */
  readonly oversize: boolean;
  readonly scannedChars: number;
}

interface ScanState {
  readonly limits: ScanLimits;
  readonly findings: RuleFinding[];
  /** Findings so far per rule id. */
  readonly perRule: Map<string, number>;
  budget: number;
  oversize: boolean;
}

/** Scans `value` (a string or any JSON value) with the rules of one surface. */
export function scanValue(
  surface: CompiledSurface,
  value: unknown,
  options: { readonly limits?: Partial<ScanLimits>; readonly pointer?: string } = {},
): ScanOutcome {
  const limits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const state: ScanState = { limits, findings: [], perRule: new Map(), budget: limits.maxScanBytes, oversize: false };
  const stack: { value: unknown; pointer: string; depth: number }[] = [
    { value, pointer: options.pointer ?? '', depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; pointer: string; depth: number };
    if (typeof item.value === 'string') {
      scanString(surface, item.value, item.pointer, state);
    } else if (typeof item.value === 'object' && item.value !== null) {
      if (item.depth >= limits.maxDepth) {
        state.oversize = true;
        continue;
      }
      const entries = Array.isArray(item.value)
        ? item.value.map((v, i) => [String(i), v] as const)
        : Object.entries(item.value);
      // Reversed onto the stack, so strings are read (and findings reported) in document order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as readonly [string, unknown];
        stack.push({ value: child, pointer: `${item.pointer}/${escapePointer(key)}`, depth: item.depth + 1 });
      }
    }
    if (state.budget <= 0 && stack.length > 0) {
      state.oversize = true;
      break;
    }
  }
  return {
    findings: state.findings,
    oversize: state.oversize,
    scannedChars: limits.maxScanBytes - Math.max(0, state.budget),
  };
}

function scanString(surface: CompiledSurface, original: string, pointer: string, state: ScanState): void {
  let text = original;
  if (text.length > state.budget) {
    text = text.slice(0, Math.max(0, state.budget));
    state.oversize = true;
  }
  state.budget -= text.length;
  matchGroups(surface, surface.groups, text, state, (finding) => ({ ...finding, pointer }));
  if (surface.decodeGroups.length > 0) scanDecoded(surface, text, pointer, state, 1);
}

function scanDecoded(surface: CompiledSurface, text: string, pointer: string, state: ScanState, depth: number): void {
  for (const segment of findEncodedSegments(text)) {
    if (state.budget <= 0) {
      state.oversize = true;
      return;
    }
    state.budget -= segment.text.length;
    // Offsets of a finding in decoded text name the whole encoded span of the original string.
    matchGroups(surface, surface.decodeGroups, segment.text, state, (finding) => ({
      ...finding,
      pointer,
      start: segment.start,
      end: segment.end,
      encoding: segment.encoding,
    }));
    if (depth < state.limits.maxDecodeDepth) {
      const before = state.findings.length;
      scanDecoded(surface, segment.text, pointer, state, depth + 1);
      for (let i = before; i < state.findings.length; i++) {
        const f = state.findings[i] as RuleFinding;
        state.findings[i] = {
          ...f,
          start: segment.start,
          end: segment.end,
          encoding: `${segment.encoding}+${f.encoding ?? ''}`,
        };
      }
    }
  }
}

type Place = (finding: Omit<RuleFinding, 'pointer'>) => RuleFinding;

function matchGroups(
  surface: CompiledSurface,
  groups: readonly RuleGroup[],
  text: string,
  state: ScanState,
  place: Place,
): void {
  const views = new Map<ViewKind, NormalizedView>();
  const facts: TextFacts = {};
  // Views that normalize to the same text share one keyword index and one prefix search.
  const indexes = new Map<string, TextIndex>();
  const searches = new Map<string, PrefixHits | undefined>();
  for (const group of groups) {
    if (state.findings.length >= state.limits.maxFindings) {
      state.oversize = true;
      return;
    }
    let view = views.get(group.view);
    if (!view) {
      view = normalizeText(
        text,
        { nfkc: group.view.startsWith('nfkc'), stripInvisible: group.view.endsWith('strip') },
        facts,
      );
      views.set(group.view, view);
    }
    const viewText = view.text;
    const index = (): TextIndex => {
      let built = indexes.get(viewText);
      if (!built) {
        built = indexText(viewText);
        indexes.set(viewText, built);
      }
      return built;
    };
    const long = viewText.length >= state.limits.anchorMinChars;
    // Short strings look their keywords up in the keyword index: an automaton pass costs more there.
    if (!searches.has(viewText))
      searches.set(viewText, long ? searchPrefixes(surface.prefixSearch(), viewText) : undefined);
    const hits = searches.get(viewText);
    for (const rule of candidates(group, { index, hits })) {
      matchRule(rule, { surface, view, original: text, state, place, hits });
    }
  }
}

/** A pattern whose prefixes occur more often than once per this many characters is searched whole. */
const ANCHOR_MIN_SPACING = 16;

/** What one pass of the prefix automaton found in a string. */
interface PrefixHits {
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
function searchPrefixes(search: PrefixSearch | undefined, text: string): PrefixHits | undefined {
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
function anchorsOf(hits: PrefixHits | undefined, pattern: CompiledPattern): Int32Array | undefined {
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

interface KeywordLookup {
  readonly index: () => TextIndex;
  readonly hits: PrefixHits | undefined;
}

/** A group's keyword rules by keywordKey, and each rule's place in the group (candidates keep that order). */
interface KeywordTable {
  readonly byKey: ReadonlyMap<number, readonly (readonly [string, readonly CompiledRule[]])[]>;
  readonly order: ReadonlyMap<CompiledRule, number>;
}

const keywordTables = new WeakMap<RuleGroup, KeywordTable>();

function keywordTable(group: RuleGroup): KeywordTable {
  let table = keywordTables.get(group);
  if (!table) {
    const byKey = new Map<number, [string, readonly CompiledRule[]][]>();
    for (const entry of group.byKeyword) {
      const key = keywordKey(entry[0]);
      byKey.set(key, [...(byKey.get(key) ?? []), entry]);
    }
    const order = new Map<CompiledRule, number>();
    for (const rule of [...group.unfiltered, ...[...group.byKeyword.values()].flat()])
      if (!order.has(rule)) order.set(rule, order.size);
    table = { byKey, order };
    keywordTables.set(group, table);
  }
  return table;
}

/**
 * The rules of a group that may match its view, in the group's order: those without keywords, and those whose
 * keyword occurs. On a long string the automaton's pass says which keywords occur (it reads digits as 0, so it may
 * say yes where indexOf would not: a rule runs more, never less); otherwise the keyword index, asked only about the
 * keywords whose first pair (or one character) the string has.
 */
function candidates(group: RuleGroup, lookup: KeywordLookup): CompiledRule[] {
  const chosen = new Set<CompiledRule>(group.unfiltered);
  if (group.byKeyword.size === 0) return [...chosen];
  const { hits } = lookup;
  const table = keywordTable(group);
  if (hits) {
    const seen = new Set(hits.keywords);
    for (const [keyword, rules] of group.byKeyword) {
      if (rules.every((rule) => chosen.has(rule))) continue;
      const slot = hits.search.keywordSlots.get(keyword);
      const occurs = slot !== undefined ? seen.has(slot) : containsKeyword(lookup.index(), keyword);
      if (occurs) for (const rule of rules) chosen.add(rule);
    }
  } else {
    const index = lookup.index();
    for (const key of presentKeys(index)) {
      for (const [keyword, rules] of table.byKey.get(key) ?? []) {
        if (!rules.every((rule) => chosen.has(rule)) && containsKeyword(index, keyword))
          for (const rule of rules) chosen.add(rule);
      }
    }
  }
  return [...chosen].sort((a, b) => (table.order.get(a) as number) - (table.order.get(b) as number));
}

interface RuleRun {
  readonly surface: CompiledSurface;
  readonly view: NormalizedView;
  readonly original: string;
  readonly state: ScanState;
  readonly place: Place;
  readonly hits: PrefixHits | undefined;
}

function matchRule(rule: CompiledRule, run: RuleRun): void {
  const { surface, view, original, state, place } = run;
  let kept = 0;
  const { limits } = state;
  const id = rule.rule.id;
  if ((state.perRule.get(id) ?? 0) >= limits.findingsPerRule) return;
  const severity = rule.rule.severity_on?.[surface.surface] ?? rule.rule.severity;
  for (const pattern of rule.patterns) {
    const anchors = anchorsOf(run.hits, pattern);
    const spans = narrowedSpans(pattern, view.text, {
      anchors,
      long: run.hits !== undefined,
      max: limits.matchesPerRule * 4,
    });
    for (const span of spans ?? spansOf(pattern, view.text, limits.matchesPerRule * 4)) {
      if (kept >= limits.matchesPerRule || (state.perRule.get(id) ?? 0) >= limits.findingsPerRule) return;
      if (state.findings.length >= limits.maxFindings) {
        state.oversize = true;
        return;
      }
      const validator = rule.validate === undefined ? undefined : VALIDATOR_TABLE[rule.validate];
      if (
        validator &&
        !validator({ match: view.text.slice(span.start, span.end), text: view.text, start: span.start, end: span.end })
      )
        continue;
      const { rule: r } = rule;
      state.findings.push(
        place({
          rule: r.id,
          name: r.name,
          category: r.category,
          severity,
          start: originalOffset(view, span.start),
          end: originalEnd(view, span.end, original),
        }),
      );
      kept++;
      state.perRule.set(id, (state.perRule.get(id) ?? 0) + 1);
    }
  }
}

/**
 * The spans of a regex found without reading all of `text`: anchored where its prefixes occur, or inside its
 * segments; undefined when it is to be run whole (short strings, dense prefixes, no plan, or over budget).
 */
function narrowedSpans(
  pattern: CompiledPattern,
  text: string,
  how: { readonly anchors: Int32Array | undefined; readonly long: boolean; readonly max: number },
): { start: number; end: number }[] | undefined {
  if (pattern.kind !== 'regex' || !pattern.anchorable || !how.long) return undefined;
  if (how.anchors) return anchoredSpans(pattern.anchorable, text, how.anchors, how.max);
  if (pattern.segments) return segmentSpans(pattern.anchorable, pattern.segments, text, how.max);
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
  const started = performance.now();
  const budgetMs = 0.05 + (text.length * ANCHORED_NS_PER_CHAR) / 1e6;
  const segments = findSegments(plan, text);
  for (let i = 0; i < segments.length && spans.length < max; i += 2) {
    if ((i & 127) === 126 && performance.now() - started > budgetMs) return undefined;
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

/** Per-character cost allowed to anchored runs before the regex is run over the whole string instead. */
const ANCHORED_NS_PER_CHAR = 12;

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
  const started = performance.now();
  const budgetMs = 0.05 + (text.length * ANCHORED_NS_PER_CHAR) / 1e6;
  let from = 0;
  for (let i = 0; i < anchors.length && spans.length < max; i++) {
    const at = anchors[i] as number;
    if (at < from) continue;
    from = at + 1; // the same start, announced by two prefixes, is tried once
    if ((i & 63) === 63 && performance.now() - started > budgetMs) return undefined;
    const match = matchAt(pattern, text, at);
    if (match === undefined) continue;
    spans.push({ start: match.start, end: match.end });
    from = Math.max(match.matchEnd, from);
  }
  return spans;
}

/** Where a pattern matches, at most `max` spans (capture group 1 when the regex has one). */
function* spansOf(
  pattern: CompiledRule['patterns'][number],
  text: string,
  max: number,
): Generator<{ start: number; end: number }> {
  if (pattern.kind === 'contains') {
    const haystack = pattern.casefold ? text.toLowerCase() : text;
    // toLowerCase keeps the length of everything but a few letters (İ); where it does not, offsets are not trusted.
    if (haystack.length !== text.length) {
      if (haystack.includes(pattern.needle)) yield { start: 0, end: text.length };
      return;
    }
    let from = 0;
    for (let n = 0; n < max; n++) {
      const at = haystack.indexOf(pattern.needle, from);
      if (at < 0) return;
      yield { start: at, end: at + pattern.needle.length };
      from = at + Math.max(1, pattern.needle.length);
    }
    return;
  }
  // The DFA answers "is there any match" fastest; positions are extracted only when there is one.
  if (!pattern.re.test(text)) return;
  const matcher = pattern.re.matcher(text);
  const { grouped } = pattern;
  for (let n = 0; n < max && matcher.find(); n++) {
    const start = grouped && matcher.group(1) !== null ? matcher.start(1) : matcher.start();
    const end = grouped && matcher.group(1) !== null ? matcher.end(1) : matcher.end();
    yield { start, end };
  }
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
