/**
 * The order of the pipeline (DESIGN.md §2), written down here and nowhere else (STYLE.md §2).
 *
 * Request stages, in order: limit-source → verify-signature → check-suspension → rate-limit → check-acl →
 * check-approval → scan-rules → run-guards → forward. Response stages: scan-rules → run-guards → return.
 * Each stage is one file under ./stages with a `create…Stage(options, deps)` factory; adding a stage is one line in
 * the list below plus its file. The stages arrive with their own issues; a config that asks for a check this build
 * does not run yet is refused at start-up (see config/unenforced.ts), never silently ignored.
 */
import type { Policy } from '../access/policy.js';
import type { RateLimiter } from '../access/sliding-window.js';
import type { Config } from '../config/schema.js';
import type { ActionPolicy } from '../scanner/actions.js';
import type { EscalationTracker } from '../scanner/escalation.js';
import type { RuleSet } from '../scanner/rule-set.js';
import { createAclStage } from './stages/check-acl.js';
import { createApprovalStage } from './stages/check-approval.js';
import { createSuspensionStage } from './stages/check-suspension.js';
import { createSourceLimitStage } from './stages/limit-source.js';
import { createRateLimitStage } from './stages/rate-limit.js';
import { type GuardRunner, createGuardStage } from './stages/run-guards.js';
import { createScanStage } from './stages/scan-rules.js';
import { type SignatureDeps, createSignatureStage } from './stages/verify-signature.js';
import type { Stage } from './types.js';

/** Everything stage factories need. Limiters live as long as the gateway, so a config reload keeps every quota. */
export interface StageDeps {
  readonly config: Config;
  readonly policy: Policy;
  readonly limiters: { readonly source: RateLimiter; readonly verified: RateLimiter; readonly unverified: RateLimiter };
  /** Operator suspensions (persisted in the store). */
  readonly isSuspended: (agent: string) => boolean;
  /** Keys, nonce cache and start time for signature verification; they outlive config reloads. */
  readonly identity: SignatureDeps;
  /** What findings do under this config (overrides, blocked_categories). */
  readonly actions: ActionPolicy;
  /** The running rule set; rules reload on their own, without a config edit. */
  readonly ruleSet: () => RuleSet;
  /** Blocked/quarantined calls per agent; outlives config reloads like the limiters. */
  readonly escalation: EscalationTracker;
  /** Pinned tool definitions and their description scan (see scanner/tool-gate.ts). */
  readonly toolAccess: (backend: string, tool: string, agent: string) => { ok: true } | { ok: false; detail: string };
  /** The running guard chain (it hot-reloads on its own, like the rules). */
  readonly guards: GuardRunner;
}

/** The request stages, in order. */
export function createRequestStages(deps: StageDeps): readonly Stage[] {
  return [
    createSourceLimitStage(deps.config.rate_limit.source, { limiter: deps.limiters.source }),
    createSignatureStage(
      { requireSignature: deps.config.identity.require_signature, maxClockSkewS: deps.config.identity.max_clock_skew_s },
      deps.identity,
    ),
    createSuspensionStage({ policy: deps.policy }, { isSuspended: deps.isSuspended }),
    createRateLimitStage({ policy: deps.policy }, { verified: deps.limiters.verified, unverified: deps.limiters.unverified }),
    createAclStage({ policy: deps.policy }, { toolAccess: deps.toolAccess }),
    createApprovalStage({ policy: deps.policy }),
    createScanStage({ half: 'request', rules: deps.config.rules, actions: deps.actions }, deps),
    createGuardStage(deps),
  ];
}

/** The response stages, in order. */
export function createResponseStages(deps: StageDeps): readonly Stage[] {
  return [createScanStage({ half: 'response', rules: deps.config.rules, actions: deps.actions }, deps), createGuardStage(deps)];
}
