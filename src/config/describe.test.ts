import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatPath, formatProblem, locate } from './describe.js';

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['server', 'port'], 'server.port'],
    [['rules', 'dirs', 0], 'rules.dirs[0]'],
    [['agents', 'bot.v2', 'allow'], 'agents["bot.v2"].allow'],
    [['rate_limit', 'tools', 'files/write_*'], 'rate_limit.tools["files/write_*"]'],
    [['backends', 'my-files', 'url'], 'backends.my-files.url'],
  ])('%j → %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('formatProblem', () => {
  it.each([
    [{ file: 'c.yaml', line: 3, column: 5, path: 'server.port', message: 'bad' }, 'c.yaml:3:5: server.port: bad'],
    [{ file: 'c.yaml', line: 3, path: '', message: 'syntax' }, 'c.yaml:3:1: syntax'],
    [{ file: 'c.yaml', path: 'guards.dir', message: 'missing' }, 'c.yaml: guards.dir: missing'],
  ])('%j → %s', (problem, expected) => {
    expect(formatProblem(problem)).toBe(expected);
  });
});

describe('locate', () => {
  const text = 'server:\n  port: 1\nbackends:\n  a:\n    transport: http\nlist:\n  - x\n  - { y: 1 }\n';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });

  it.each([
    [['server', 'port'], 'value', { line: 2, column: 9 }],
    [['server', 'port'], 'key', { line: 2, column: 3 }],
    [['backends', 'a', 'url'], 'value', { line: 4, column: 3 }], // missing: the parent's key
    [['list', 1, 'y'], 'key', { line: 8, column: 7 }],
    [['nowhere', 'at', 'all'], 'value', { line: 1, column: 1 }],
  ] as const)('%j (%s) → %j', (path, anchor, expected) => {
    expect(locate(doc, lineCounter, path, anchor)).toEqual(expected);
  });

  it('has no position in an empty document', () => {
    const empty = new LineCounter();
    expect(locate(parseDocument('', { lineCounter: empty }), empty, ['server'])).toBeUndefined();
  });
});
