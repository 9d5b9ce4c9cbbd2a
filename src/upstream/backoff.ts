/** Reconnect delays: exponential from `initialMs` to `maxMs`, with ±20% jitter so restarts do not march in step. */
export interface Backoff {
  next(): number;
  reset(): void;
}

export function createBackoff(initialMs = 500, maxMs = 30_000, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const base = Math.min(maxMs, initialMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      return Math.round(base * (0.8 + 0.4 * random()));
    },
    reset() {
      attempt = 0;
    },
  };
}
