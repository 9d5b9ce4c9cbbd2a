/**
 * The shipped rules test themselves (STYLE.md §14): every file loads, every rule carries at least three examples of
 * each kind, and every example is run through the full engine (prefilter, normalization, decoding, validators) with
 * all shipped rules loaded, on each surface the rule names.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/describe.js';
import { loadRuleDirs } from '../../src/scanner/load-rules.js';
import { createRuleSet } from '../../src/scanner/rule-set.js';
import { REPO_ROOT } from '../helpers/backends.js';

const loaded = loadRuleDirs([join(REPO_ROOT, 'rules')]);
const set = createRuleSet(loaded.rules);
const REQUIRED_CATEGORIES = [
  'prompt-injection', 'tool-poisoning', 'credential-leak', 'pii', 'exfiltration', 'command-execution', 'ssrf', 'path-traversal', 'unicode-attack',
];

const cases = loaded.rules.flatMap(({ rule }) =>
  rule.surfaces.flatMap((surface) => [
    ...rule.examples.match.map((text) => ({ id: rule.id, surface, text, expected: true })),
    ...rule.examples.no_match.map((text) => ({ id: rule.id, surface, text, expected: false })),
  ]),
);

describe('shipped rules', () => {
  it('load without problems', () => {
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.rules.length).toBeGreaterThan(0);
  });

  it('cover every required category', () => {
    const categories = new Set(loaded.rules.map((r) => r.rule.category));
    expect(REQUIRED_CATEGORIES.filter((c) => !categories.has(c))).toEqual([]);
  });

  it.each(loaded.rules.map((r) => [r.rule.id, r.rule] as const))('%s carries at least three examples of each kind', (_id, rule) => {
    expect(rule.examples.match.length).toBeGreaterThanOrEqual(3);
    expect(rule.examples.no_match.length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases.map((c) => [`${c.id} ${c.expected ? 'matches' : 'does not match'} on ${c.surface}: ${JSON.stringify(c.text).slice(0, 60)}`, c] as const))(
    '%s',
    (_name, c) => {
      const hit = set.scan(c.text, c.surface).findings.some((f) => f.rule === c.id);
      expect(hit).toBe(c.expected);
    },
  );

  it('leave ordinary filesystem tool calls and results alone', () => {
    const benign = [
      { path: '/home/user/project/README.md', content: '# My project\n\nRun `npm install` and then `npm test`.' },
      { path: 'src/index.ts', edits: [{ oldText: 'const a = 1;', newText: 'const a = 2;' }] },
      'Successfully wrote to /tmp/notes.txt',
      'Directory listing:\n[FILE] package.json\n[DIR] src\n[FILE] tsconfig.json',
    ];
    for (const value of benign) {
      for (const surface of ['tool_args', 'tool_result'] as const) {
        const strong = set.scan(value, surface).findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
        expect(strong.map((f) => `${f.rule} on ${JSON.stringify(value).slice(0, 40)}`)).toEqual([]);
      }
    }
  });
});
