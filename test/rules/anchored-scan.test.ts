/**
 * Anchored runs (a regex run only where one of its literal prefixes occurs) must find exactly what running every
 * regex over the whole string finds. Every example of every shipped rule, set inside long text made of the other
 * examples' words (so prefixes occur everywhere, and near the example's edges), is scanned both ways.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleDirs } from '../../src/scanner/load-rules.js';
import { createRuleSet } from '../../src/scanner/rule-set.js';
import type { Surface } from '../../src/scanner/rule-schema.js';
import { REPO_ROOT } from '../helpers/backends.js';
import { seededRandom } from '../helpers/random.js';

const loaded = loadRuleDirs([join(REPO_ROOT, 'rules')]);
const set = createRuleSet(loaded.rules);
const examples = loaded.rules.flatMap(({ rule }) =>
  [...rule.examples.match, ...rule.examples.no_match].map((text) => ({
    rule: rule.id,
    surface: rule.surfaces[0] as Surface,
    text,
  })),
);
const words = examples.flatMap(({ text }) => text.split(/\s+/)).filter((w) => w !== '');

function filler(next: () => number, chars: number): string {
  let out = '';
  while (out.length < chars) out += `${words[Math.floor(next() * words.length)] ?? ''}${next() < 0.1 ? '\n' : ' '}`;
  return out;
}

const findingsOf = (text: string, surface: Surface, anchorMinChars: number) =>
  set
    .scan(text, surface, { limits: { anchorMinChars } })
    .findings.map((f) => `${f.rule}@${f.start}-${f.end}${f.encoding ?? ''}`);

describe('anchored runs find what whole-string runs find', () => {
  it('most shipped patterns have literal prefixes (so the comparison below exercises anchored runs)', () => {
    const regexes = loaded.rules.flatMap((r) => r.patterns).filter((p) => p.kind === 'regex');
    const anchored = regexes.filter((p) => p.kind === 'regex' && p.anchorable !== undefined);
    expect(anchored.length / regexes.length).toBeGreaterThan(0.8);
  });

  it.each(examples.map((example, index) => [example.rule, index, example] as const))(
    '%s example %i, inside long text',
    (_, index, example) => {
      const next = seededRandom(index + 1);
      // Glued to its neighbours half of the time: word boundaries at the edges matter.
      const glue = index % 2 === 0 ? ' ' : '';
      const text = `${filler(next, 300 + Math.floor(next() * 400)).trimEnd()}${glue}${example.text}${glue}${filler(next, 300)}`;
      const whole = findingsOf(text, example.surface, Number.POSITIVE_INFINITY);
      expect(findingsOf(text, example.surface, 0)).toEqual(whole);
      expect(findingsOf(text, example.surface, 512)).toEqual(whole);
    },
  );

  it('agrees on text that is nothing but other examples, on every surface', () => {
    const next = seededRandom(7);
    const text = filler(next, 20_000);
    for (const surface of ['tool_args', 'tool_result', 'tool_description', 'message'] as const) {
      expect(findingsOf(text, surface, 0)).toEqual(findingsOf(text, surface, Number.POSITIVE_INFINITY));
    }
  });
});
