// Threat: one network address flooding the gateway (any message, signed or not) before anything is trusted.
// Fails closed: over the limit, or with the limiter's table full of other live sources, the message is denied.
import type { Config } from '../../config/schema.js';
import type { RateLimiter, WindowLimit } from '../../access/sliding-window.js';
import { sourceKeyOf } from '../../access/source-key.js';
import type { Stage } from '../types.js';
import { rateLimitedVerdict } from './rate-limited.js';

export type SourceLimitOptions = Config['rate_limit']['source'];

export interface SourceLimitDeps {
  /** Shared for the gateway's lifetime (not rebuilt on reload), so an edit of the policy does not reset counts. */
  readonly limiter: RateLimiter;
  readonly now?: () => number;
}

/** `limit-source`: `rate_limit.source` per caller address (IPv6 per /64), counting every client message. */
export function createSourceLimitStage(options: SourceLimitOptions, deps: SourceLimitDeps): Stage {
  const limit: WindowLimit = { requests: options.requests, windowMs: options.window_s * 1000 };
  const now = deps.now ?? Date.now;
  return {
    name: 'limit-source',
    check(ctx) {
      // Results coming back from a backend are not the caller's traffic; everything the client sends counts,
      // housekeeping (initialize, ping, lists) included.
      if (ctx.phase === 'response' || ctx.phase === 'tools_list') return { kind: 'continue' };
      const key = sourceKeyOf(ctx.source);
      const taken = deps.limiter.take(key, limit, now());
      if (taken.ok) return { kind: 'continue' };
      const what =
        taken.cause === 'table_full'
          ? `source ${key}: too many sources being tracked`
          : `source ${key}: over ${limit.requests} messages per ${options.window_s}s`;
      return rateLimitedVerdict(what, taken.retryAfterMs);
    },
  };
}
