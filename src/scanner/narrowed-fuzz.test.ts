/**
 * Random regexes on random texts: a narrowed run (prefixes, segments) must find exactly what the whole run finds.
 * The generator covers what the analyses reason about: literals (digits, letters of both cases, non-ASCII), small
 * and wide and negated classes, alternation, optional parts, bounded and unbounded repeats, captures, anchors,
 * word boundaries, case folding. Deterministic (seeded), so a failure is reproducible from its seed.
 */
import { describe, expect, it } from 'vitest';
import { RuleCompileError, compileRule } from './compile.js';
import type { Rule } from './rule-schema.js';
import { createRuleSet } from './rule-set.js';
import { seededRandom } from '../../test/helpers/random.js';

const ATOMS = [
  'a',
  'b',
  'k',
  's',
  'x',
  '0',
  '7',
  '@',
  ':',
  '-',
  ' ',
  'σ',
  'é',
  '\\d',
  '\\w',
  '\\s',
  '[ab]',
  '[0-9]',
  '[a-z]',
  '[^ ]',
  '[^a]',
  '.',
  '[σς]',
  '\\x{1F600}',
];

function regex(next: () => number, depth = 0): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const parts: string[] = [];
  const length = 1 + Math.floor(next() * 4);
  for (let i = 0; i < length; i++) {
    const r = next();
    let part: string;
    if (r < 0.12 && depth < 2) part = `(?:${regex(next, depth + 1)}|${regex(next, depth + 1)})`;
    else if (r < 0.2 && depth < 2) part = `(${regex(next, depth + 1)})`;
    else if (r < 0.26) part = pick(['^', '$', '\\b', '(?:^|[^a-z])', '(?:$|[^0-9])']);
    else part = pick(ATOMS);
    const q = next();
    if (q < 0.12) part += '*';
    else if (q < 0.22) part += '+';
    else if (q < 0.3) part += '?';
    else if (q < 0.38) part += `{${Math.floor(next() * 3)},${3 + Math.floor(next() * 5)}}`;
    parts.push(part);
  }
  return parts.join('');
}

const TEXT_PIECES = [
  'a',
  'b',
  'ab',
  'k',
  'K',
  'K',
  's',
  'S',
  'ſ',
  'x',
  '0',
  '12',
  '7',
  '@',
  ':',
  '::',
  '-',
  ' ',
  '  ',
  '\n',
  'σ',
  'ς',
  'Σ',
  'é',
  'É',
  '\u{1F600}',
  'zz',
  'ax0',
  'a@b',
];

function text(next: () => number): string {
  let out = '';
  while (out.length < 700 + next() * 600) out += TEXT_PIECES[Math.floor(next() * TEXT_PIECES.length)];
  return out;
}

describe('narrowed runs on random regexes and texts', () => {
  it('find exactly what whole runs find', () => {
    let compared = 0;
    let narrowed = 0;
    const seeds = Number(process.env.FUZZ_SEEDS ?? 400);
    for (let seed = 1; seed <= seeds; seed++) {
      const next = seededRandom(seed);
      const source = regex(next);
      const fold = next() < 0.3;
      // Compiled directly: a generated regex has no examples to check.
      const rule = {
        id: 'F-001',
        name: 'fuzz',
        category: 'test',
        severity: 'low',
        surfaces: ['message'],
        normalize: fold ? ['casefold'] : [],
        patterns: [{ regex: source }],
        examples: { match: [], no_match: [] },
      } as unknown as Rule;
      let compiled;
      try {
        compiled = compileRule(rule);
      } catch (error) {
        if (error instanceof RuleCompileError) continue; // a regex the engine refuses
        throw error;
      }
      const set = createRuleSet([compiled]);
      const pattern = compiled.patterns[0];
      if (pattern?.kind === 'regex' && pattern.anchorable) narrowed++;
      for (let k = 0; k < 3; k++) {
        const sample = text(next);
        const scan = (anchorMinChars: number) =>
          set
            .scan(sample, 'message', { limits: { anchorMinChars, matchesPerRule: 64, findingsPerRule: 64 } })
            .findings.map((f) => `${f.start}-${f.end}`);
        expect(
          scan(0),
          `seed ${seed}: /${source}/${fold ? 'i' : ''} on ${JSON.stringify(sample.slice(0, 80))}…`,
        ).toEqual(scan(Number.POSITIVE_INFINITY));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(seeds);
    // A good share of generated regexes get a plan (about 40%), so narrowed runs are what is compared.
    expect(narrowed / (compared / 3)).toBeGreaterThan(0.3);
  });
});
