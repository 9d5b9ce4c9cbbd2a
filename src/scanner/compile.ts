/**
 * Compiles loaded rules once into what the scanner runs per string: each pattern on re2js (linear time by
 * construction: RE2 refuses backreferences and lookaround, so a rule that would need a backtracking engine is refused
 * here, at load), grouped by surface and by normalization, with a keyword prefilter per group so most rules never run
 * on most strings.
 */
import { RE2JS } from 're2js';
import { type AnchorablePattern, prepareAnchored } from './anchored-match.js';
import { type LiteralPrefix, literalPrefixes } from './literal-prefixes.js';
import { type PrefixAutomaton, createPrefixAutomaton, foldUnit } from './prefix-automaton.js';
import { type SegmentPlan, segmentPlan } from './segments.js';
import type { Rule, Surface, ValidatorName } from './rule-schema.js';
import { SURFACES } from './rule-schema.js';

export type ViewKind = 'raw' | 'nfkc' | 'strip' | 'nfkc_strip';

export type CompiledPattern =
  | {
      readonly kind: 'regex';
      readonly re: RE2JS;
      readonly source: string;
      /** Whether the regex has a capture group (group 1 is the finding). */
      readonly grouped: boolean;
      /** Every match starts with one of these (folded); undefined: the regex is run over the whole string. */
      readonly prefixes: readonly LiteralPrefix[] | undefined;
      /** Without prefixes: the runs of characters a match may lie in (segments.ts); undefined: run it whole. */
      readonly segments: SegmentPlan | undefined;
      /** For runs anchored where a prefix occurs, or searches inside segments (set with either). */
      readonly anchorable: AnchorablePattern | undefined;
    }
  | { readonly kind: 'contains'; readonly needle: string; readonly casefold: boolean };

export interface CompiledRule {
  readonly rule: Rule;
  readonly view: ViewKind;
  readonly decode: boolean;
  /** Lower-case keywords; empty: the rule runs on every string of its surfaces. */
  readonly keywords: readonly string[];
  readonly patterns: readonly CompiledPattern[];
  readonly validate: ValidatorName | undefined;
}

/** The rules of one surface that read one view of a string, with their prefilter. */
export interface RuleGroup {
  readonly view: ViewKind;
  /** Rules without keywords: always run. */
  readonly unfiltered: readonly CompiledRule[];
  /** Keyword → the rules it lets run. */
  readonly byKeyword: ReadonlyMap<string, readonly CompiledRule[]>;
}

/**
 * One automaton over every regex's literal prefixes and every keyword of a rule set (all views, all surfaces): one
 * pass over a long string says where each regex may start and which keywords occur.
 */
export interface PrefixSearch {
  readonly automaton: PrefixAutomaton;
  readonly slots: ReadonlyMap<CompiledPattern, number>;
  /** Keyword → its slot. */
  readonly keywordSlots: ReadonlyMap<string, number>;
  readonly slotCount: number;
  /** 1 for the slots of regexes, 0 for those of keywords. */
  readonly isPattern: Uint8Array;
}

export interface CompiledSurface {
  readonly surface: Surface;
  /**
   * The rule set's one prefix search, shared by every surface, built on first use unless built eagerly; undefined
   * when no regex has prefixes and no rule has keywords.
   */
  prefixSearch(): PrefixSearch | undefined;
  readonly groups: readonly RuleGroup[];
  /** The same rules restricted to those that also read decoded text. */
  readonly decodeGroups: readonly RuleGroup[];
}

export class RuleCompileError extends Error {}

/** Compiles one rule; throws RuleCompileError naming the pattern the engine cannot run. */
export function compileRule(rule: Rule): CompiledRule {
  const casefold = rule.normalize.includes('casefold');
  const patterns = rule.patterns.map((pattern, index): CompiledPattern => {
    if ('contains' in pattern) {
      return { kind: 'contains', needle: casefold ? pattern.contains.toLowerCase() : pattern.contains, casefold };
    }
    try {
      const flags = casefold ? RE2JS.CASE_INSENSITIVE : 0;
      const re = RE2JS.compile(pattern.regex, flags);
      const prefixes = literalPrefixes(re);
      const segments = prefixes === undefined ? segmentPlan(re) : undefined;
      const anchorable =
        prefixes === undefined && segments === undefined ? undefined : prepareAnchored(re, pattern.regex, flags);
      return { kind: 'regex', re, source: pattern.regex, grouped: re.groupCount() > 0, prefixes, segments, anchorable };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new RuleCompileError(`patterns[${index}]: the linear-time engine cannot run this regex (${why})`);
    }
  });
  const keywords = new Set<string>((rule.keywords ?? []).map((k) => k.toLowerCase()));
  const onlyContains = patterns.every((p) => p.kind === 'contains');
  // A rule of `contains` patterns is its own prefilter; a regex rule is filtered only by keywords it declares.
  if (onlyContains) for (const p of patterns) if (p.kind === 'contains') keywords.add(p.needle.toLowerCase());
  if (!onlyContains && rule.keywords === undefined) keywords.clear();
  return {
    rule,
    view: viewOf(rule),
    decode: rule.normalize.includes('decode'),
    keywords: [...keywords],
    patterns,
    validate: rule.validate,
  };
}

function viewOf(rule: Rule): ViewKind {
  const nfkc = rule.normalize.includes('nfkc');
  const strip = rule.normalize.includes('strip_invisible');
  return nfkc ? (strip ? 'nfkc_strip' : 'nfkc') : strip ? 'strip' : 'raw';
}

/** Groups compiled rules by surface and view, and builds each group's prefilter. */
export function groupBySurface(
  rules: readonly CompiledRule[],
  options: { readonly lazyPrefixSearch?: boolean } = {},
): ReadonlyMap<Surface, CompiledSurface> {
  const out = new Map<Surface, CompiledSurface>();
  // Its tables take a few MB: a set built only to check short examples (one per rules file) never needs them.
  let built: { search: PrefixSearch | undefined } | undefined;
  const prefixSearch = (): PrefixSearch | undefined => (built ??= { search: buildPrefixSearch(rules) }).search;
  if (options.lazyPrefixSearch !== true) prefixSearch();
  for (const surface of SURFACES) {
    const applicable = rules.filter((r) => r.rule.surfaces.includes(surface));
    out.set(surface, {
      surface,
      prefixSearch,
      groups: buildGroups(applicable),
      decodeGroups: buildGroups(applicable.filter((r) => r.decode)),
    });
  }
  return out;
}

function buildGroups(rules: readonly CompiledRule[]): RuleGroup[] {
  const views = new Map<ViewKind, CompiledRule[]>();
  for (const rule of rules) views.set(rule.view, [...(views.get(rule.view) ?? []), rule]);
  return [...views].map(([view, members]) => {
    const byKeyword = new Map<string, CompiledRule[]>();
    const unfiltered: CompiledRule[] = [];
    for (const rule of members) {
      if (rule.keywords.length === 0) unfiltered.push(rule);
      for (const keyword of rule.keywords) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), rule]);
    }
    return { view, unfiltered, byKeyword };
  });
}

function buildPrefixSearch(rules: readonly CompiledRule[]): PrefixSearch | undefined {
  const slots = new Map<CompiledPattern, number>();
  const keywordSlots = new Map<string, number>();
  const literals: { text: string; slot: number; offset: number }[] = [];
  let slotCount = 0;
  for (const rule of rules) {
    for (const pattern of rule.patterns) {
      if (pattern.kind !== 'regex' || pattern.prefixes === undefined || !pattern.anchorable || slots.has(pattern))
        continue;
      slots.set(pattern, slotCount);
      for (const { text, offset } of pattern.prefixes) literals.push({ text, slot: slotCount, offset });
      slotCount++;
    }
    for (const keyword of rule.keywords) {
      if (keywordSlots.has(keyword) || keyword === '') continue;
      keywordSlots.set(keyword, slotCount);
      const folded = Array.from({ length: keyword.length }, (_, i) =>
        String.fromCharCode(foldUnit(keyword.charCodeAt(i))),
      );
      literals.push({ text: folded.join(''), slot: slotCount, offset: 0 });
      slotCount++;
    }
  }
  if (slotCount === 0) return undefined;
  const isPattern = new Uint8Array(slotCount);
  for (const slot of slots.values()) isPattern[slot] = 1;
  return { automaton: createPrefixAutomaton(literals), slots, keywordSlots, slotCount, isPattern };
}
