import { describe, expect, it } from 'vitest';
import { createRateLimiter, type TakeResult, type WindowLimit } from './sliding-window.js';

const second: WindowLimit = { requests: 3, windowMs: 1000 };

/** Takes `key` once at each time and returns the results, compactly: 'ok' or the retry delay. */
function run(steps: readonly (readonly [number, string?])[], limit = second, maxKeys = 10): (string | number)[] {
  const limiter = createRateLimiter({ maxKeys });
  return steps.map(([now, key = 'k']) => describeResult(limiter.take(key, limit, now)));
}

function describeResult(result: TakeResult): string | number {
  return result.ok ? 'ok' : result.retryAfterMs;
}

describe('createRateLimiter', () => {
  it.each([
    {
      name: 'admits `requests` per window, then says how long until the next fits',
      steps: [[0], [0], [0], [0]] as const,
      // At 1334 the previous window's 3 weigh 3·666/1000 = 1.998, so one more fits (≤ 3); at 1333 it is 2.001.
      expected: ['ok', 'ok', 'ok', 1334],
    },
    {
      name: 'a burst at the end of one window is not repeated at the start of the next',
      steps: [[900], [900], [900], [1000], [1099], [1100]] as const,
      // At 1000 the previous 3 still weigh 3: wait until they weigh ≤ 2 (3·(1000−e)/1000 ≤ 2 → e ≥ 334).
      expected: ['ok', 'ok', 'ok', 334, 235, 234],
    },
    {
      name: 'the previous window decays: a request fits once its weight drops',
      steps: [[0], [0], [0], [1000], [1334], [1334]] as const,
      expected: ['ok', 'ok', 'ok', 334, 'ok', 333],
    },
    {
      name: 'after two idle windows the whole quota is back',
      steps: [[0], [0], [0], [2000], [2000], [2000], [2000]] as const,
      expected: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 1334],
    },
    {
      name: 'keys are independent',
      steps: [
        [0, 'a'],
        [0, 'a'],
        [0, 'a'],
        [0, 'a'],
        [0, 'b'],
      ] as const,
      expected: ['ok', 'ok', 'ok', 1334, 'ok'],
    },
    {
      name: 'a clock that steps back neither un-counts nor throws',
      steps: [[5000], [5000], [5000], [4000], [4999]] as const,
      expected: ['ok', 'ok', 'ok', 1334, 1334],
    },
  ])('$name', ({ steps, expected }) => {
    expect(run(steps)).toEqual(expected);
  });

  it.each([
    { requests: 1, windowMs: 1000 },
    { requests: 3, windowMs: 1000 },
    { requests: 7, windowMs: 60_000 },
    { requests: 100, windowMs: 997 },
  ])(
    'retryAfterMs is exact: waiting 1 ms less is refused, waiting that long is admitted ($requests/$windowMs)',
    (limit) => {
      const limiter = createRateLimiter({ maxKeys: 1 });
      // A deterministic irregular arrival pattern that keeps the key at its limit for a while.
      let now = 12_345;
      let checked = 0;
      for (let i = 0; i < 400; i += 1) {
        now += (i * 7919) % Math.max(1, Math.floor(limit.windowMs / limit.requests));
        const result = limiter.take('k', limit, now);
        if (result.ok) continue;
        expect(result.cause).toBe('over_limit');
        if (result.retryAfterMs > 1) expect(limiter.take('k', limit, now + result.retryAfterMs - 1).ok).toBe(false);
        now += result.retryAfterMs;
        expect(limiter.take('k', limit, now)).toEqual({ ok: true });
        checked += 1;
      }
      expect(checked).toBeGreaterThan(5);
    },
  );

  it('never admits more than `requests` in any window-long span by more than the approximation allows', () => {
    const limit = { requests: 10, windowMs: 1000 };
    const limiter = createRateLimiter({ maxKeys: 1 });
    const admitted: number[] = [];
    for (let now = 0; now < 10_000; now += 7) if (limiter.take('k', limit, now).ok) admitted.push(now);
    for (const start of admitted) {
      const inSpan = admitted.filter((t) => t >= start && t < start + limit.windowMs).length;
      // The two-bucket estimate is exact for evenly spread traffic; allow one for rounding at the boundary.
      expect(inSpan).toBeLessThanOrEqual(limit.requests + 1);
    }
  });

  describe('bounded memory', () => {
    it('refuses a new key when full of live keys, with the time until the oldest expires', () => {
      const limiter = createRateLimiter({ maxKeys: 2 });
      expect(limiter.take('a', second, 0)).toEqual({ ok: true });
      expect(limiter.take('b', second, 500)).toEqual({ ok: true });
      // a's windows end at 0 + 2·1000.
      expect(limiter.take('c', second, 600)).toEqual({ ok: false, retryAfterMs: 1400, cause: 'table_full' });
      // Keys already held keep working while the table is full.
      expect(limiter.take('a', second, 600)).toEqual({ ok: true });
    });

    it('an attacker rotating keys cannot reset a live counter', () => {
      const limiter = createRateLimiter({ maxKeys: 3 });
      for (let i = 0; i < 3; i += 1) limiter.take('victim-quota', second, 0);
      expect(limiter.take('victim-quota', second, 0).ok).toBe(false);
      const rotated = Array.from({ length: 50 }, (_, i) => limiter.take(`attacker-${i}`, second, 10 + i));
      expect(rotated.filter((r) => r.ok)).toHaveLength(2);
      expect(rotated.at(-1)).toMatchObject({ ok: false, cause: 'table_full' });
      expect(limiter.take('victim-quota', second, 100).ok).toBe(false);
      expect(limiter.size).toBe(3);
    });

    it('admits new keys again once old ones expire', () => {
      const limiter = createRateLimiter({ maxKeys: 2 });
      limiter.take('a', second, 0);
      limiter.take('b', second, 0);
      expect(limiter.take('c', second, 1999).ok).toBe(false);
      expect(limiter.take('c', second, 2000)).toEqual({ ok: true });
      expect(limiter.size).toBe(1);
    });

    it('sweeps expired keys incrementally, a few per call', () => {
      const limiter = createRateLimiter({ maxKeys: 1000, sweepPerTake: 4 });
      for (let i = 0; i < 40; i += 1) limiter.take(`k${i}`, second, 0);
      expect(limiter.size).toBe(40);
      limiter.take('live', second, 5000);
      expect(limiter.size).toBe(37);
      for (let i = 0; i < 9; i += 1) limiter.take('live', second, 5000);
      expect(limiter.size).toBe(1);
    });

    it('with several window lengths, full means: wait for the soonest expiry of any length', () => {
      const limiter = createRateLimiter({ maxKeys: 2 });
      limiter.take('minute', { requests: 5, windowMs: 60_000 }, 0);
      limiter.take('second', second, 0);
      expect(limiter.take('new', second, 100)).toEqual({ ok: false, retryAfterMs: 1900, cause: 'table_full' });
      expect(limiter.take('new', second, 2000)).toEqual({ ok: true });
    });

    it('a changed window length starts the key afresh', () => {
      const limiter = createRateLimiter({ maxKeys: 1 });
      for (let i = 0; i < 3; i += 1) limiter.take('k', second, 0);
      expect(limiter.take('k', second, 0).ok).toBe(false);
      expect(limiter.take('k', { requests: 3, windowMs: 2000 }, 0)).toEqual({ ok: true });
      expect(limiter.size).toBe(1);
    });

    it('a lowered limit applies to counts already made', () => {
      const limiter = createRateLimiter({ maxKeys: 1 });
      for (let i = 0; i < 3; i += 1) limiter.take('k', second, 0);
      // 3 made, limit now 1: the next window must first see them decay to 0 (the window after next).
      expect(limiter.take('k', { requests: 1, windowMs: 1000 }, 0)).toEqual({
        ok: false,
        retryAfterMs: 2000,
        cause: 'over_limit',
      });
    });
  });

  it.each([
    { limit: { requests: 0, windowMs: 1000 } },
    { limit: { requests: 1.5, windowMs: 1000 } },
    { limit: { requests: 1, windowMs: 0 } },
    { limit: { requests: 1, windowMs: Number.NaN } },
  ])('throws on an invalid limit $limit (a caller bug, failed closed by the runner)', ({ limit }) => {
    expect(() => createRateLimiter({ maxKeys: 1 }).take('k', limit, 0)).toThrow(RangeError);
  });

  it.each([0, -1, 1.5])('refuses maxKeys %s', (maxKeys) => {
    expect(() => createRateLimiter({ maxKeys })).toThrow(RangeError);
  });
});
