/**
 * The scan of one value on one surface: walk the JSON (strings are read where they are, never as escaped JSON),
 * build each normalized view once, prefilter by keyword, run the candidate patterns (on long strings only where
 * they can match: narrowed-runs.ts), validate, map offsets back to the original string, and rescan decoded
 * segments. Everything is bounded: bytes read (`max_scan_bytes`, beyond which the scan reports `oversize`), depth,
 * findings, decode depth.
 */
import type { CompiledRule, CompiledSurface, RuleGroup, ViewKind } from './compile.js';
import { findEncodedSegments } from './decode.js';
import { candidates } from './candidates.js';
import { type TextIndex, indexText } from './keyword-filter.js';
import { type PrefixHits, anchorsOf, narrowedSpans, searchPrefixes } from './narrowed-runs.js';
import { type NormalizedView, type TextFacts, normalizeText, originalEnd, originalOffset } from './normalize.js';
import type { Severity } from './rule-schema.js';
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
   * Strings at least this long run each regex only where it can match, at its literal prefixes or inside its
   * segments (same findings, less work); shorter ones are searched whole, which costs less than narrowing first.
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
    // Only long strings have hits (a prefix search); short ones run each regex whole.
    const spans =
      run.hits && narrowedSpans(pattern, view.text, anchorsOf(run.hits, pattern), limits.matchesPerRule * 4);
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
