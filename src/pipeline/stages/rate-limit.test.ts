import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../access/policy.js';
import { createRateLimiter } from '../../access/sliding-window.js';
import { configSchema } from '../../config/schema.js';
import type { MessageContext, Phase, Target } from '../types.js';
import { retryAfterOf } from './rate-limited.js';
import { createRateLimitStage } from './rate-limit.js';

const policy = compilePolicy(
  configSchema.parse({
    agents: { 'big-bot': { rate_limit: { requests: 5, window_s: 1 } } },
    rate_limit: {
      requests: 3,
      window_s: 1,
      tools: {
        'files/write_*': { requests: 1, window_s: 10 },
        'resource:files/file:///srv/**': { requests: 2, window_s: 10 },
      },
    },
  }),
);

interface Call {
  readonly agent?: string;
  readonly verified?: boolean;
  readonly phase?: Phase;
  readonly target?: Target;
}

function contextOf({ agent = 'bot', verified = true, phase = 'request', target }: Call): MessageContext {
  const method = target?.kind === 'agent' ? 'messages/send' : phase === 'request' ? 'tools/call' : 'tools/list';
  return {
    phase,
    sessionId: target?.kind === 'agent' ? undefined : 's1',
    source: '127.0.0.1',
    method,
    target: target ?? { backend: 'everything', kind: 'tool', name: 'echo' },
    payload: {},
    headers: {},
    http: undefined,
    facts: { agent, verified, labels: [] },
  };
}

function setUp(maxKeys = 100) {
  let clock = 5_000_000;
  const deps = {
    verified: createRateLimiter({ maxKeys }),
    unverified: createRateLimiter({ maxKeys }),
    now: () => clock,
  };
  const stage = createRateLimitStage({ policy }, deps);
  /** Runs the calls in order and returns 'ok' or the retry delay of each. */
  const run = async (calls: readonly Call[]) => {
    const out: (string | number | undefined)[] = [];
    for (const call of calls) {
      const verdict = await stage.check(contextOf(call));
      out.push(verdict.kind === 'continue' ? 'ok' : retryAfterOf(verdict));
    }
    return out;
  };
  return { stage, deps, run, advance: (ms: number) => (clock += ms) };
}

const tool = (name: string): Target => ({ backend: 'files', kind: 'tool', name });
const file = (path: string): Target => ({ backend: 'files', kind: 'resource', name: `file://${path}` });
const message = (to: string): Target => ({ backend: '', kind: 'agent', name: to });

describe('rate-limit', () => {
  it.each([
    { name: 'global limit per agent', calls: [{}, {}, {}, {}], expected: ['ok', 'ok', 'ok', 1334] },
    { name: 'agents are counted apart', calls: [{}, {}, {}, { agent: 'other' }], expected: ['ok', 'ok', 'ok', 'ok'] },
    {
      name: "an agent's own rate_limit replaces the global one",
      calls: Array.from({ length: 6 }, () => ({ agent: 'big-bot' })),
      expected: ['ok', 'ok', 'ok', 'ok', 'ok', 1200],
    },
    {
      name: 'housekeeping is not counted (limit-source covers it)',
      calls: [...Array.from({ length: 5 }, () => ({ phase: 'housekeeping' as const })), {}],
      expected: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    },
    {
      name: 'rate_limit.tools applies per agent and tool',
      calls: [{ target: tool('write_file') }, { target: tool('write_config') }, { target: tool('write_file') }],
      expected: ['ok', 'ok', 20_000],
    },
    {
      name: 'rate_limit.tools for resources is per agent and rule, not per (caller-chosen) URI',
      calls: [{ target: file('/srv/a') }, { target: file('/srv/b') }, { target: file('/srv/c') }],
      expected: ['ok', 'ok', 15_000],
    },
    {
      name: 'an agent message counts against the overall limit, shared with tool calls',
      calls: [{}, { target: message('bob') }, { target: message('carol') }, {}],
      expected: ['ok', 'ok', 'ok', 1334],
    },
    {
      name: 'agent messages alone exhaust the overall limit',
      calls: [
        { target: message('bob') },
        { target: message('bob') },
        { target: message('bob') },
        { target: message('bob') },
      ],
      expected: ['ok', 'ok', 'ok', 1334],
    },
    {
      name: 'verified and unverified callers of one name are counted apart',
      calls: [{}, {}, {}, { verified: false }],
      expected: ['ok', 'ok', 'ok', 'ok'],
    },
  ])('$name', async ({ calls, expected }) => {
    expect(await setUp().run(calls)).toEqual(expected);
  });

  it('names the limit in the detail, for the audit log', async () => {
    const { stage } = setUp();
    await stage.check(contextOf({ target: tool('write_file') }));
    expect(await stage.check(contextOf({ target: tool('write_file') }))).toEqual({
      kind: 'deny',
      reason: 'rate_limited',
      detail:
        'agent bot on files/write_file (rate_limit.tools["files/write_*"]): over 1 calls per 10s; retry_after_ms=20000',
      data: { retry_after_ms: 20_000 },
    });
  });

  it('no rate_limit.tools glob applies to a message, not even "**": only the overall counter is taken', async () => {
    const everything = compilePolicy(
      configSchema.parse({ rate_limit: { tools: { '**': { requests: 1, window_s: 60 } } } }),
    );
    const verified = createRateLimiter({ maxKeys: 10 });
    const stage = createRateLimitStage(
      { policy: everything },
      { verified, unverified: createRateLimiter({ maxKeys: 10 }) },
    );
    for (const to of ['bob', 'bob', 'carol']) {
      expect(await stage.check(contextOf({ target: message(to) }))).toEqual({ kind: 'continue' });
    }
    expect(verified.size).toBe(1);
    // The same glob does limit a tool: the first call takes its counter, the second is over.
    expect(await stage.check(contextOf({ target: tool('read_file') }))).toEqual({ kind: 'continue' });
    expect(verified.size).toBe(2);
    expect(await stage.check(contextOf({ target: tool('read_file') }))).toMatchObject({ reason: 'rate_limited' });
  });

  it('unverified callers rotating claimed names cannot fill the verified table', async () => {
    const { run, deps } = setUp(3);
    const rotating = await run(Array.from({ length: 10 }, (_, i) => ({ agent: `fake-${i}`, verified: false })));
    expect(rotating.filter((r) => r === 'ok')).toHaveLength(3);
    expect(deps.verified.size).toBe(0);
    expect(await run([{ agent: 'real-bot' }])).toEqual(['ok']);
  });
});
