import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../access/sliding-window.js';
import type { MessageContext, Phase } from '../types.js';
import { createSourceLimitStage } from './limit-source.js';
import { retryAfterOf } from './rate-limited.js';

function contextOf(source: string, phase: Phase = 'housekeeping'): MessageContext {
  return {
    phase,
    sessionId: 's1',
    source,
    method: phase === 'request' ? 'tools/call' : 'ping',
    target: undefined,
    payload: {},
    headers: {},
    http: undefined,
    facts: { agent: 'anonymous', verified: false, labels: [] },
  };
}

function setUp(maxKeys = 100) {
  let clock = 1_000_000;
  const stage = createSourceLimitStage(
    { requests: 2, window_s: 1 },
    { limiter: createRateLimiter({ maxKeys }), now: () => clock },
  );
  return { stage, advance: (ms: number) => (clock += ms) };
}

describe('limit-source', () => {
  it('counts every client message per source, housekeeping and work calls alike, and denies the excess', async () => {
    const { stage } = setUp();
    expect(await stage.check(contextOf('10.0.0.1', 'housekeeping'))).toEqual({ kind: 'continue' });
    expect(await stage.check(contextOf('10.0.0.1', 'request'))).toEqual({ kind: 'continue' });
    const denied = await stage.check(contextOf('10.0.0.1', 'housekeeping'));
    expect(denied).toMatchObject({
      kind: 'deny',
      reason: 'rate_limited',
      detail: expect.stringContaining('source 10.0.0.1'),
    });
    expect(retryAfterOf(denied)).toBe(1500);
    // Another source has its own quota.
    expect(await stage.check(contextOf('10.0.0.2'))).toEqual({ kind: 'continue' });
  });

  it('admits again once the wait it named has passed', async () => {
    const { stage, advance } = setUp();
    await stage.check(contextOf('10.0.0.1'));
    await stage.check(contextOf('10.0.0.1'));
    const wait = retryAfterOf(await stage.check(contextOf('10.0.0.1')));
    advance(wait ?? Number.NaN);
    expect(await stage.check(contextOf('10.0.0.1'))).toEqual({ kind: 'continue' });
  });

  it.each(['response', 'tools_list'] as const)('does not count %s-phase messages (backend results)', async (phase) => {
    const { stage } = setUp();
    for (let i = 0; i < 5; i += 1)
      expect(await stage.check(contextOf('10.0.0.1', phase))).toEqual({ kind: 'continue' });
  });

  it('keys IPv6 callers by /64, so one host cannot rotate through fresh quotas', async () => {
    const { stage } = setUp();
    expect(await stage.check(contextOf('2001:db8::1'))).toEqual({ kind: 'continue' });
    expect(await stage.check(contextOf('2001:db8::2'))).toEqual({ kind: 'continue' });
    expect(await stage.check(contextOf('2001:db8::3'))).toMatchObject({
      reason: 'rate_limited',
      detail: expect.stringContaining('2001:db8:0:0::/64'),
    });
  });

  it('fails closed when the table is full of other live sources', async () => {
    const { stage } = setUp(2);
    await stage.check(contextOf('10.0.0.1'));
    await stage.check(contextOf('10.0.0.2'));
    const denied = await stage.check(contextOf('10.0.0.3'));
    expect(denied).toMatchObject({ reason: 'rate_limited', detail: expect.stringContaining('too many sources') });
    expect(retryAfterOf(denied)).toBe(2000);
  });
});
