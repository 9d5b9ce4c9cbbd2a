import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../config/describe.js';
import { loadRuleDirs, parseRuleText } from './load-rules.js';
import { openRuleSource } from './rule-source.js';

const GOOD = `- id: G-001
  name: good
  category: test
  severity: low
  patterns: [{ contains: needle }]
  examples: { match: [needle], no_match: [hay] }
`;

function problemsOf(text: string): string[] {
  return parseRuleText(text, 'r.yaml').problems.map(formatProblem);
}

describe('parseRuleText', () => {
  it('loads a valid file', () => {
    expect(parseRuleText(GOOD, 'r.yaml').rules.map((r) => r.rule.id)).toEqual(['G-001']);
  });

  it.each([
    ['an unknown key, with a suggestion', GOOD.replace('severity: low', 'severity: low\n  sevirity: high'), /r\.yaml:5:3: \[0\]\.sevirity: unknown key "sevirity" \(did you mean "severity"\?\)/],
    ['a bad severity', GOOD.replace('severity: low', 'severity: extreme'), /r\.yaml:4:13: \[0\]\.severity: /],
    ['a backreference (not linear-time)', GOOD.replace('{ contains: needle }', "{ regex: '(a)\\1' }"), /r\.yaml:5:14: \[0\]\.patterns\[0\]: the linear-time engine cannot run this regex/],
    ['lookahead (not linear-time)', GOOD.replace('{ contains: needle }', "{ regex: 'a(?=b)' }"), /\[0\]\.patterns\[0\]: the linear-time engine cannot run/],
    ['a failing match example', GOOD.replace('match: [needle]', 'match: [nothing]'), /r\.yaml:6:23: \[0\]\.examples\.match\[0\]: G-001 does not match its example "nothing"/],
    ['a failing no_match example', GOOD.replace('no_match: [hay]', 'no_match: [a needle]'), /\[0\]\.examples\.no_match\[0\]: G-001 matches its no_match example/],
    ['a keyword that hides the pattern', GOOD.replace('{ contains: needle }', "{ regex: 'needle' }").replace('severity: low', 'severity: low\n  keywords: [haystack]'), /G-001 does not match its example/],
    ['an unknown validator', GOOD.replace('severity: low', 'severity: low\n  validate: crc32'), /unknown validator; known: luhn/],
    ['a bad id', GOOD.replace('G-001', 'bad id'), /\[0\]\.id: ids look like PI-001/],
    ['severity_on for a surface the rule does not scan', GOOD.replace('severity: low', 'severity: low\n  surfaces: [message]\n  severity_on: { tool_result: high }'), /\[0\]\.severity_on\.tool_result: tool_result is not one of this rule's surfaces/],
    ['severity_on with an unknown surface', GOOD.replace('severity: low', 'severity: low\n  severity_on: { inbox: high }'), /\[0\]\.severity_on/],
    ['YAML syntax', '- id: [unclosed', /r\.yaml:1:/],
    ['not a list', 'id: G-001', /expected array/],
    ['no examples', GOOD.replace('  examples: { match: [needle], no_match: [hay] }\n', ''), /missing required key "examples"/],
  ])('refuses %s with file:line', (_what, text, expected) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('refuses the whole file when one rule is broken', () => {
    const text = `${GOOD}${GOOD.replace('G-001', 'G-002').replace('severity: low', 'severity: bad')}`;
    expect(parseRuleText(text, 'r.yaml').rules).toEqual([]);
  });

  it('refuses an alias bomb', () => {
    const bomb = `- &a {id: X-001}\n- [${Array.from({ length: 200 }, () => '*a').join(', ')}]`;
    expect(problemsOf(bomb).length).toBeGreaterThan(0);
  });
});

describe('loadRuleDirs', () => {
  const dirs: string[] = [];
  const dir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), 'rules-'));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads *.yaml and *.yml, sorted, and ignores other files', () => {
    const d = dir({ 'b.yml': GOOD.replace('G-001', 'G-002'), 'a.yaml': GOOD, 'notes.txt': 'x' });
    expect(loadRuleDirs([d]).rules.map((r) => r.rule.id)).toEqual(['G-001', 'G-002']);
  });

  it('reports a duplicate id across files', () => {
    const d = dir({ 'a.yaml': GOOD, 'b.yaml': GOOD });
    expect(loadRuleDirs([d]).problems.map((p) => p.message)).toEqual([expect.stringMatching(/duplicate rule id G-001/)]);
  });

  it('treats a directory that does not exist as empty', () => {
    expect(loadRuleDirs([join(tmpdir(), 'no-such-rules-dir-xyz')])).toMatchObject({ rules: [], problems: [] });
  });

  it('refuses a file over the size limit', () => {
    const d = dir({ 'big.yaml': `# ${'x'.repeat(1_100_000)}\n${GOOD}` });
    expect(loadRuleDirs([d]).problems.map((p) => p.message)).toEqual([expect.stringMatching(/larger than/)]);
  });

  it('a live source keeps the running set when an edit is broken, and applies the next good one', () => {
    const d = dir({ 'a.yaml': GOOD });
    const source = openRuleSource({ dirs: [d] });
    const first = source.current();
    writeFileSync(join(d, 'a.yaml'), GOOD.replace('severity: low', 'severity: nope'));
    expect(source.check()).toMatchObject({ kind: 'rejected', problems: [expect.stringMatching(/a\.yaml:4:13/)] });
    expect(source.current()).toBe(first);
    expect(source.problems()).toHaveLength(1);
    writeFileSync(join(d, 'a.yaml'), `${GOOD}${GOOD.replace('G-001', 'G-002')}`);
    expect(source.check()).toMatchObject({ kind: 'applied', rules: 2 });
    expect(source.current().rules).toHaveLength(2);
    expect(source.problems()).toEqual([]);
    expect(source.check()).toBeUndefined();
    source.close();
  });
});
