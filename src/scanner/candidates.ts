/**
 * Which rules of a group run on a string: those without keywords, and those whose keyword occurs. On a long
 * string the prefix automaton's pass says which keywords occur; on a short one the keyword index, asked only about
 * the keywords whose first pair (or one character) the string has. Candidates keep the group's order whichever
 * way they were found, so findings come out in the same order.
 */
import type { CompiledRule, RuleGroup } from './compile.js';
import { type TextIndex, containsKeyword, keywordKey, presentKeys } from './keyword-filter.js';
import type { PrefixHits } from './narrowed-runs.js';

export interface KeywordLookup {
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
export function candidates(group: RuleGroup, lookup: KeywordLookup): CompiledRule[] {
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
