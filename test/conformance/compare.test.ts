import { describe, expect, it } from 'vitest';
import { compare, deriveChecks, lacksTool } from './compare.js';
import type { Check, CheckStatus, SuiteResult } from './suite.js';

const check = (id: string, status: CheckStatus, details?: Record<string, unknown>): Check => ({ id, status, details });
const run = (scenarios: Record<string, Check[]>, missing: string[] = []): SuiteResult => ({
  scenarios: new Map(Object.entries(scenarios)),
  missing,
  elapsedMs: 0,
});
const notFound = {
  result: { isError: true, content: [{ type: 'text', text: 'MCP error -32602: Tool test_x not found' }] },
};

describe('compare', () => {
  it.each([
    ['SUCCESS', 'SUCCESS', 'same'],
    ['SUCCESS', 'FAILURE', 'regression'],
    ['SUCCESS', 'WARNING', 'regression'],
    ['WARNING', 'FAILURE', 'regression'],
    ['FAILURE', 'FAILURE', 'same'],
    ['FAILURE', 'SUCCESS', 'better'],
    ['WARNING', 'INFO', 'changed'],
  ] as const)('direct %s, gateway %s: %s', (direct, gateway, verdict) => {
    const comparison = compare(run({ s: [check('s', direct)] }), run({ s: [check('s', gateway)] }));
    expect(comparison.rows.map((row) => row.verdict)).toEqual([verdict]);
    expect(comparison.regressions.length).toBe(verdict === 'regression' ? 1 : 0);
  });

  it('counts a scenario with no gateway results as a regression of each passing check', () => {
    const comparison = compare(run({ s: [check('a', 'SUCCESS')] }), run({}, ['s']));
    expect(comparison.regressions.map((row) => [row.check, row.gateway])).toEqual([['a', 'MISSING']]);
  });

  it('hides checks that are INFO or absent on both sides, and keeps the worst status of a repeated id', () => {
    const direct = run({ s: [check('trace', 'INFO'), check('event', 'INFO'), check('event', 'FAILURE')] });
    const comparison = compare(direct, run({ s: [check('trace', 'INFO')] }));
    expect(comparison.hiddenTraceRows).toBe(1);
    expect(comparison.rows.map((row) => [row.check, row.direct, row.gateway])).toEqual([
      ['event', 'FAILURE', 'ABSENT'],
    ]);
  });

  it('marks a direct pass that is only the backend saying "Tool not found" as n/a, not a regression', () => {
    const comparison = compare(run({ s: [check('s', 'SUCCESS', notFound)] }), run({ s: [check('s', 'FAILURE')] }));
    expect(comparison.rows.map((row) => [row.direct, row.verdict])).toEqual([['N/A', 'n/a']]);
    expect(comparison.regressions).toEqual([]);
  });

  it('still counts a gateway "Tool not found" as a regression of a real direct pass', () => {
    const comparison = compare(run({ s: [check('s', 'SUCCESS')] }), run({ s: [check('s', 'SUCCESS', notFound)] }));
    expect(comparison.regressions.map((row) => row.gateway)).toEqual(['N/A']);
  });
});

describe('deriveChecks (server-sse-polling)', () => {
  const closed = (received: boolean): Check => check('stream-closed', 'INFO', { receivedToolResponse: received });
  const answer = (result: unknown): Check =>
    check('incoming-sse-event', 'INFO', { body: { jsonrpc: '2.0', id: 1, result } });

  it.each([
    ['a result on the POST stream', [answer({ content: [] }), closed(true)], 'SUCCESS'],
    ['an isError result', [answer({ isError: true, content: [] }), closed(true)], 'FAILURE'],
    [
      'a result after resuming',
      [closed(false), check('server-sse-disconnect-resume', 'SUCCESS', { receivedToolResponse: true })],
      'SUCCESS',
    ],
    ['no result at all (an error answer)', [closed(false)], 'FAILURE'],
  ])('%s', (_name, checks, status) => {
    expect(deriveChecks('server-sse-polling', checks).map((c) => c.status)).toEqual([status]);
  });

  it('derives nothing for other scenarios or when the tool call never streamed', () => {
    expect(deriveChecks('ping', [closed(true)])).toEqual([]);
    expect(deriveChecks('server-sse-polling', [check('server-sse-test-reconnection-tool', 'WARNING')])).toEqual([]);
  });
});

describe('lacksTool', () => {
  it.each([
    [notFound, true],
    [{ body: { id: 1, ...notFound } }, true],
    [
      { result: { isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error' }] } },
      false,
    ],
    [{ result: { content: [{ type: 'text', text: 'Tool x not found' }] } }, false],
    [undefined, false],
  ])('%j → %s', (details, expected) => {
    expect(lacksTool(check('c', 'SUCCESS', details as Record<string, unknown> | undefined))).toBe(expected);
  });
});
