/**
 * A compiled set of rules: what the gateway and the CLI scan with. Built once per load; immutable afterwards, so a
 * reload swaps one value and a scan in progress finishes on the set it started with.
 */
import { type CompiledRule, type CompiledSurface, groupBySurface } from './compile.js';
import type { Surface } from './rule-schema.js';
import { type ScanLimits, type ScanOutcome, scanValue } from './scan.js';

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  /** Scans `value` as the given surface. */
  scan(value: unknown, surface: Surface, options?: { limits?: Partial<ScanLimits>; pointer?: string }): ScanOutcome;
  /** The rule with this id. */
  find(id: string): CompiledRule | undefined;
}

/** `lazyPrefixSearch`: for a set that may only ever scan short strings (checking a file's examples). */
export function createRuleSet(rules: readonly CompiledRule[], options: { readonly lazyPrefixSearch?: boolean } = {}): RuleSet {
  const surfaces = groupBySurface(rules, options);
  const byId = new Map(rules.map((r) => [r.rule.id, r]));
  return {
    rules,
    scan: (value, surface, options) => scanValue(surfaces.get(surface) as CompiledSurface, value, options),
    find: (id) => byId.get(id),
  };
}

export const EMPTY_RULE_SET: RuleSet = createRuleSet([]);

export interface ExampleFailure {
  readonly rule: string;
  /** true: an example that must match did not; false: one that must not match did. */
  readonly expected: boolean;
  readonly index: number;
  readonly example: string;
  readonly message: string;
}

/**
 * Runs every rule's examples through the full engine (prefilter, normalization, decoding, validators), each on the
 * rule's first surface, together with the other rules given: a prefilter or normalization that hides a pattern
 * shows up here, not in production.
 */
export function checkExamples(
  rules: readonly CompiledRule[],
  set: RuleSet = createRuleSet(rules, { lazyPrefixSearch: true }),
): ExampleFailure[] {
  const failures: ExampleFailure[] = [];
  for (const compiled of rules) {
    const { rule } = compiled;
    const surface = rule.surfaces[0] as Surface;
    const hits = (example: string): boolean => set.scan(example, surface).findings.some((f) => f.rule === rule.id);
    rule.examples.match.forEach((example, index) => {
      if (!hits(example)) failures.push({ rule: rule.id, expected: true, index, example, message: `${rule.id} does not match its example ${JSON.stringify(clip(example))}` });
    });
    rule.examples.no_match.forEach((example, index) => {
      if (hits(example)) failures.push({ rule: rule.id, expected: false, index, example, message: `${rule.id} matches its no_match example ${JSON.stringify(clip(example))}` });
    });
  }
  return failures;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
