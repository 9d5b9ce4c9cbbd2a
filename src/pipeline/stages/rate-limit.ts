// Threat: an agent making more tool, prompt or resource calls or agent messages than its quota, overall or on one
// costly tool.
// Fails closed: over a limit, or with the limiter's table full of other live counters, the call is denied.
import type { Policy } from '../../access/policy.js';
import type { RateLimiter, TakeResult, WindowLimit } from '../../access/sliding-window.js';
import { type PolicyTarget, policyTargetOf } from '../../access/target-glob.js';
import type { Stage, Verdict } from '../types.js';
import { rateLimitedVerdict } from './rate-limited.js';

export interface RateLimitOptions {
  /** Supplies `rate_limit` (or the agent's own override) and the `rate_limit.tools` entries. */
  readonly policy: Policy;
}

export interface RateLimitDeps {
  /** Counters of agents whose signature was verified. Shared for the gateway's lifetime, not rebuilt on reload. */
  readonly verified: RateLimiter;
  /**
   * Counters of unverified callers (a claimed name only, when signatures are not required). Kept apart so that a
   * caller rotating claimed names can at worst fill this table, never lock verified agents out of theirs.
   */
  readonly unverified: RateLimiter;
  readonly now?: () => number;
}

/**
 * `rate-limit`: the agent's overall limit, then every `rate_limit.tools` entry matching the target. An agent-to-agent
 * message is a call that does work: it counts against the overall limit, and no `rate_limit.tools` glob (which names
 * `<backend>/<name>`) applies to it.
 */
export function createRateLimitStage(options: RateLimitOptions, deps: RateLimitDeps): Stage {
  const { policy } = options;
  const now = deps.now ?? Date.now;
  return {
    name: 'rate-limit',
    check(ctx) {
      // Only calls that do work (tools/call, resources/read, prompts/get, messages/send); housekeeping is
      // limit-source's.
      if (ctx.phase !== 'request') return { kind: 'continue' };
      const { agent, verified } = ctx.facts;
      const limiter = verified ? deps.verified : deps.unverified;
      const at = now();
      const overall = policy.agentLimit(agent);
      const taken = limiter.take(`agent\0${agent}`, overall, at);
      if (!taken.ok) return denial(taken, `agent ${agent}`, overall);
      // A call refused below still counted against the overall limit above: it was a call the agent made.
      // An agent target has no policy target, so a message stops here.
      const target = policyTargetOf(ctx.target);
      if (!target) return { kind: 'continue' };
      for (const { rule, limit } of policy.targetLimits(target)) {
        const result = limiter.take(targetKey(agent, rule, target), limit, at);
        if (!result.ok) return denial(result, `agent ${agent} on ${target.backend}/${target.name} (${rule})`, limit);
      }
      return { kind: 'continue' };
    },
  };
}

/**
 * Tools and prompts get one counter per agent and tool: their names come from the backends' lists, a bounded set.
 * Resources get one per agent and rule: the caller picks the URI, and a counter per URI would be unbounded.
 */
function targetKey(agent: string, rule: string, target: PolicyTarget): string {
  const base = `target\0${agent}\0${rule}`;
  return target.kind === 'resource' ? base : `${base}\0${target.kind}\0${target.backend}/${target.name}`;
}

function denial(result: Extract<TakeResult, { ok: false }>, who: string, limit: WindowLimit): Verdict {
  const what =
    result.cause === 'table_full'
      ? `${who}: too many rate-limit counters in use`
      : `${who}: over ${limit.requests} calls per ${limit.windowMs / 1000}s`;
  return rateLimitedVerdict(what, result.retryAfterMs);
}
