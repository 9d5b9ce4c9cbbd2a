/**
 * A sliding-window rate limiter keyed by string (per source address, per agent, per agent and tool).
 *
 * Algorithm: the two-bucket approximation (as in Cloudflare's and nginx-style limiters). Each key keeps the count
 * of the current fixed window and of the one before; the rate at time t is
 * `previous × (share of the previous window still inside the sliding window) + current`. We chose it over exact
 * timestamps because it is O(1) in time *and* memory per key (four numbers), whereas exact timestamps need one slot
 * per allowed request (600 per agent by default, times every key): with `maxKeys` keys the table stays a few hundred
 * KB. The price is an estimate that assumes the previous window's requests were evenly spread; it never lets a burst
 * at a window boundary through twice (the failure of plain fixed windows).
 *
 * Refused requests are not counted, so `retryAfterMs` is exact: a client that waits that long is admitted.
 *
 * Memory is bounded: at most `maxKeys` keys. Keys whose both windows have passed are swept a few at a time on every
 * call. When the table is full of live keys, a *new* key is refused (fail closed, `cause: 'table_full'`) rather than
 * evicting a live counter: evicting would let an attacker who rotates keys (addresses, claimed agent names) reset the
 * quota of everyone else. Existing keys keep working while the table is full.
 */

export interface WindowLimit {
  /** Requests allowed per window; an integer ≥ 1. */
  readonly requests: number;
  /** Window length in milliseconds; an integer ≥ 1. */
  readonly windowMs: number;
}

export type TakeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterMs: number; readonly cause: 'over_limit' | 'table_full' };

export interface RateLimiter {
  /** Counts one request for `key` under `limit` at time `now` (ms since the epoch), or says how long to wait. */
  take(key: string, limit: WindowLimit, now: number): TakeResult;
  /** How many keys are held (for metrics and tests). */
  readonly size: number;
}

export interface RateLimiterOptions {
  readonly maxKeys: number;
  /** Expired keys removed per call and per window length; enough to outpace creation (at most one key per call). */
  readonly sweepPerTake?: number;
}

interface Counter {
  readonly key: string;
  readonly windowMs: number;
  /** Start of the current fixed window: a multiple of `windowMs`, so every key of a lane shares boundaries. */
  start: number;
  current: number;
  previous: number;
}

/** Creates a limiter. Keep one instance for the gateway's lifetime: a config reload must not reset quotas. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { maxKeys } = options;
  const sweepPerTake = options.sweepPerTake ?? 4;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be an integer ≥ 1, got ${maxKeys}`);

  const counters = new Map<string, Counter>();
  // One lane per window length, each in order of last use. Within a lane every counter's window start only grows
  // and is refreshed on use, so the lane's head is the counter that expires first: sweeping and "when does the
  // oldest expire" look at heads only. Window lengths come from config, so there are only a handful of lanes.
  const lanes = new Map<number, Map<string, Counter>>();

  const remove = (counter: Counter): void => {
    counters.delete(counter.key);
    const lane = lanes.get(counter.windowMs);
    lane?.delete(counter.key);
    if (lane?.size === 0) lanes.delete(counter.windowMs);
  };

  const touch = (counter: Counter): void => {
    let lane = lanes.get(counter.windowMs);
    if (!lane) lanes.set(counter.windowMs, (lane = new Map()));
    lane.delete(counter.key);
    lane.set(counter.key, counter);
  };

  const sweep = (now: number, budget: number): void => {
    // Deleting from a Map while iterating it is safe in JavaScript: iteration continues with the next live entry.
    for (const lane of lanes.values()) {
      let removed = 0;
      for (const head of lane.values()) {
        if (removed >= budget || !isExpired(head, now)) break;
        remove(head);
        removed += 1;
      }
    }
  };

  /** Milliseconds until the first live key expires (only asked when the table is full, so there is one). */
  const untilFirstExpiry = (now: number): number => {
    let soonest = Infinity;
    for (const lane of lanes.values()) {
      const head = lane.values().next().value;
      if (head) soonest = Math.min(soonest, expiresAt(head) - now);
    }
    return Math.max(1, soonest);
  };

  return {
    get size() {
      return counters.size;
    },
    take(key, limit, now) {
      checkLimit(limit);
      sweep(now, sweepPerTake);
      let counter = counters.get(key);
      // A changed window length (config reload) starts the key afresh: counts of another window do not translate.
      if (counter && counter.windowMs !== limit.windowMs) {
        remove(counter);
        counter = undefined;
      }
      if (!counter) {
        // Every expired key is at a lane head, so sweeping heads without a budget frees all there is to free; each
        // key is removed once, so this stays O(1) amortized.
        if (counters.size >= maxKeys) sweep(now, Infinity);
        if (counters.size >= maxKeys) return { ok: false, retryAfterMs: untilFirstExpiry(now), cause: 'table_full' };
        counter = { key, windowMs: limit.windowMs, start: windowStart(now, limit.windowMs), current: 0, previous: 0 };
        counters.set(key, counter);
      }
      // A clock that steps back is treated as standing still: never un-count requests.
      const t = Math.max(now, counter.start);
      roll(counter, t);
      touch(counter);
      const wait = waitMs(counter, limit.requests, t - counter.start);
      if (wait > 0) return { ok: false, retryAfterMs: wait, cause: 'over_limit' };
      counter.current += 1;
      return { ok: true };
    },
  };
}

function checkLimit(limit: WindowLimit): void {
  // A bad limit is a bug in the caller (config validation guarantees integers ≥ 1): throwing fails the call closed.
  if (
    !Number.isInteger(limit.requests) ||
    limit.requests < 1 ||
    !Number.isInteger(limit.windowMs) ||
    limit.windowMs < 1
  ) {
    throw new RangeError(`invalid rate limit ${JSON.stringify(limit)}`);
  }
}

function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** After both of its windows have passed, a counter holds nothing: dropping it changes no decision. */
function expiresAt(counter: Counter): number {
  return counter.start + 2 * counter.windowMs;
}

function isExpired(counter: Counter, now: number): boolean {
  return now >= expiresAt(counter);
}

function roll(counter: Counter, t: number): void {
  const start = windowStart(t, counter.windowMs);
  if (start === counter.start) return;
  counter.previous = start - counter.start === counter.windowMs ? counter.current : 0;
  counter.current = 0;
  counter.start = start;
}

/**
 * 0 when one more request fits at `elapsed` ms into the current window, else the whole milliseconds until it does.
 * Admit when `P·(W−e)/W + C + 1 ≤ R`; kept in integers (multiplied by W) so the boundary is exact.
 */
function waitMs(counter: Counter, requests: number, elapsed: number): number {
  const { previous: p, current: c, windowMs: w } = counter;
  const slack = (requests - c - 1) * w; // room left in the current window, scaled by W
  if (p * (w - elapsed) <= slack) return 0;
  if (c < requests) {
    // Wait for the previous window's share to decay: smallest d with P·(W−e−d) ≤ slack (d ≤ W−e since slack ≥ 0).
    return Math.max(1, Math.ceil(((w - elapsed) * p - slack) / p));
  }
  // The current window alone is full: wait into the next one, where it becomes the decaying previous window.
  // Smallest d2 with C·(W−d2) ≤ (R−1)·W; d2 = W means the window after next, where nothing is left.
  const intoNext = Math.ceil((c * w - (requests - 1) * w) / c);
  return w - elapsed + intoNext;
}
