import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { expandDocumentEnv, expandString } from './env.js';

const env = { HOST: 'example.com', PORT: '8080', EMPTY: '', EVIL: 'x\n evil: 1' };

describe('expandString', () => {
  it.each([
    ['no references', 'plain', 'plain'],
    ['a set variable', '${HOST}', 'example.com'],
    ['several references', 'http://${HOST}:${PORT}/mcp', 'http://example.com:8080/mcp'],
    ['a default for an unset variable', '${NOPE:-fallback}', 'fallback'],
    ['a default for an empty variable (as in POSIX shells)', '${EMPTY:-fallback}', 'fallback'],
    ['an empty default', '${NOPE:-}', ''],
    ['a default with spaces and colons', '${NOPE:-a b:c}', 'a b:c'],
    ['a set variable over its default', '${HOST:-other}', 'example.com'],
    ['a set but empty variable without default', '${EMPTY}', ''],
    ['$${ as a literal ${', '$${HOST}', '${HOST}'],
    ['a lone $', 'cost: $5 and $HOST', 'cost: $5 and $HOST'],
    ['a value that looks like YAML, verbatim', '${EVIL}', 'x\n evil: 1'],
    ['a value containing ${, not expanded again', '${WRAP}', '${HOST}'],
  ])('expands %s', (_name, input, expected) => {
    expect(expandString(input, { ...env, WRAP: '${HOST}' })).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an unset variable', '${NOPE}', /NOPE is not set/],
    ['an unterminated reference', 'a ${HOST', /unterminated/],
    ['an empty reference', '${}', /invalid reference/],
    ['a name with a space', '${A B}', /invalid reference/],
    ['a name starting with a digit', '${1A}', /invalid reference/],
    ['a nested default', '${A:-${B}}', /nested/],
  ])('rejects %s', (_name, input, message) => {
    const result = expandString(input, env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('expandDocumentEnv', () => {
  it('expands string values in maps and lists, in place', () => {
    const doc = parseDocument('a: ${HOST}\nb: [x, "${PORT}"]\nc: { d: "${EVIL}" }\n');
    expect(expandDocumentEnv(doc, env)).toEqual([]);
    expect(doc.toJS()).toEqual({ a: 'example.com', b: ['x', '8080'], c: { d: 'x\n evil: 1' } });
  });

  it('leaves keys and non-string scalars alone', () => {
    const doc = parseDocument('${HOST}: 1\nn: 2\nt: true\n');
    expect(expandDocumentEnv(doc, env)).toEqual([]);
    expect(doc.toJS()).toEqual({ '${HOST}': 1, n: 2, t: true });
  });

  it('expands an anchored value once, for every alias of it', () => {
    const doc = parseDocument('a: &h ${HOST}\nb: *h\n');
    expect(expandDocumentEnv(doc, env)).toEqual([]);
    expect(doc.toJS()).toEqual({ a: 'example.com', b: 'example.com' });
  });

  it('reports each failure with the config path of its scalar', () => {
    const doc = parseDocument('a:\n  b: [ok, "${NOPE}"]\nc: ${ALSO_NOPE}\n');
    expect(expandDocumentEnv(doc, env)).toEqual([
      { path: ['a', 'b', 1], message: expect.stringMatching(/NOPE is not set/) },
      { path: ['c'], message: expect.stringMatching(/ALSO_NOPE is not set/) },
    ]);
  });
});
