import { describe, expect, it } from 'vitest';
import type { Verdict } from '../types.js';
import { rateLimitedVerdict, retryAfterOf } from './rate-limited.js';

describe('rate_limited verdicts', () => {
  it('carry the wait for the client (data) and for the audit log (detail)', () => {
    expect(rateLimitedVerdict('source 10.0.0.1: over 2 messages per 1s', 999)).toEqual({
      kind: 'deny',
      reason: 'rate_limited',
      detail: 'source 10.0.0.1: over 2 messages per 1s; retry_after_ms=999',
      data: { retry_after_ms: 999 },
    });
  });

  it.each([
    [rateLimitedVerdict('source 10.0.0.1', 1234), 1234],
    [rateLimitedVerdict('source 10.0.0.1', 0.2), 1],
    [rateLimitedVerdict('source 10.0.0.1', 0), 1],
    [{ kind: 'deny', reason: 'rate_limited', detail: 'x; retry_after_ms=5' } as Verdict, undefined],
    [{ kind: 'deny', reason: 'rate_limited', detail: 'x', data: { retry_after_ms: '5' } } as Verdict, undefined],
    [{ kind: 'deny', reason: 'acl_denied', detail: 'x', data: { retry_after_ms: 5 } } as Verdict, undefined],
    [{ kind: 'continue' } as Verdict, undefined],
  ])('retryAfterOf(%j) = %s', (verdict, expected) => {
    expect(retryAfterOf(verdict)).toBe(expected);
  });
});
