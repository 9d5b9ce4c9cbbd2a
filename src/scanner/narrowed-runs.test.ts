/**
 * Inputs built to make the narrowed runs (anchored at prefixes, inside segments) cost more than a whole run: a prefix
 * at every few characters, each followed by a long stretch the regex reads on. The scan must stay linear (it gives
 * up narrowing and runs the regex whole) and find what the whole run finds.
 */
import { describe, expect, it } from 'vitest';
import { parseRuleText } from './load-rules.js';
import { createRuleSet } from './rule-set.js';

const RULES = `
- id: H-001
  name: prefix then a long run
  category: test
  severity: low
  patterns: [{ regex: 'zq[a-z ]*zqend' }]
  examples: { match: ["zq a b zqend"], no_match: ["zq a b"] }
- id: H-002
  name: a segment that is the whole text
  category: test
  severity: low
  patterns: [{ regex: '[a-z@]*@[a-z@]*!' }]
  examples: { match: ["a@b!"], no_match: ["a@b"] }
`;

function ruleSet() {
  const loaded = parseRuleText(RULES, 'hostile.yaml');
  expect(loaded.problems).toEqual([]);
  return createRuleSet(loaded.rules);
}

const findings = (set: ReturnType<typeof ruleSet>, text: string, anchorMinChars: number) =>
  set.scan(text, 'message', { limits: { anchorMinChars } }).findings.map((f) => `${f.rule}@${f.start}-${f.end}`);

describe('narrowed runs on hostile input', () => {
  it.each([
    ['a prefix every 24 characters, each read on to the end', `${`zq${'a'.repeat(22)}`.repeat(10_000)}zqend`],
    ['a prefix every 24 characters, each read on, no match', `zq${'a'.repeat(22)}`.repeat(10_000)],
    ['one segment as long as the text', `${'a@'.repeat(100_000)}!`],
    ['a required character in every short segment', 'a@ '.repeat(100_000)],
  ])('%s: linear, and the same findings as a whole run', (_, text) => {
    const set = ruleSet();
    const started = performance.now();
    const narrowed = findings(set, text, 512);
    // Loose (DESIGN.md §6: tests assert liveness only): a quadratic scan of these would take minutes.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(narrowed).toEqual(findings(set, text, Number.POSITIVE_INFINITY));
  });
});

describe('narrowed runs that fail', () => {
  it('fall back to the whole run with the same findings', async () => {
    const { RE2JS } = await import('re2js');
    const set = ruleSet();
    const text = `${'x '.repeat(600)}zq a zqend`;
    const expected = findings(set, text, Number.POSITIVE_INFINITY);
    // The narrowed path reaches re2js through executeEngine: make it throw for this test only.
    const proto = Object.getPrototypeOf((RE2JS.compile('a') as unknown as { re2Input: object }).re2Input) as {
      executeEngine: unknown;
    };
    const original = proto.executeEngine;
    let calls = 0;
    proto.executeEngine = function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { constructor: { name: string } }).constructor.name === 'OffsetInput') {
        calls++;
        throw new Error('broken internals');
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    try {
      expect(findings(set, text, 512)).toEqual(expected);
      expect(calls).toBeGreaterThan(0);
    } finally {
      proto.executeEngine = original;
    }
  });
});
