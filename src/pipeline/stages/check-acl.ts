// Threat: an agent calling a tool, reading a resource or getting a prompt its policy does not grant it.
// Fails closed: a denied target, or a work call whose target was not resolved, is denied with acl_denied.
import type { Policy } from '../../access/policy.js';
import { policyTargetOf } from '../../access/target-glob.js';
import type { Stage } from '../types.js';

export interface AclOptions {
  /** The compiled `default_policy` + `agents.*.allow|deny`. */
  readonly policy: Policy;
}

/** Nothing yet: the policy is all the stage needs. */
export type AclDeps = Record<string, never>;

/** `check-acl`: `policy.decide` for every message aimed at a tool, prompt or resource. */
export function createAclStage(options: AclOptions, _deps: AclDeps = {}): Stage {
  const { policy } = options;
  return {
    name: 'check-acl',
    check(ctx) {
      const { agent } = ctx.facts;
      const target = policyTargetOf(ctx.target);
      if (!target) {
        // A work call the router could not resolve gets the same answer as a forbidden one, so a client cannot
        // probe which tools exist (DESIGN.md §2).
        if (ctx.phase === 'request')
          return { kind: 'deny', reason: 'acl_denied', detail: `agent ${agent}: ${ctx.method} has no known target` };
        return { kind: 'continue' };
      }
      // Not only the request phase: resources/subscribe and completion/complete also name a resource or prompt,
      // and must not leak what the agent may not read.
      const { decision, rule } = policy.explain(agent, target);
      if (decision === 'allow') return { kind: 'continue' };
      // The detail names the rule for the audit log; the client only ever sees the generic acl_denied message.
      return {
        kind: 'deny',
        reason: 'acl_denied',
        detail: `agent ${agent}: ${target.kind} ${target.backend}/${target.name} denied by ${rule}`,
      };
    },
  };
}
