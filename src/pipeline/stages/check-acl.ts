// Threat: an agent calling a tool, reading a resource, getting a prompt or messaging an agent its policy does not
// grant it. Fails closed: a denied target, or a work call whose target was not resolved, is denied with acl_denied.
import type { Policy } from '../../access/policy.js';
import { policyTargetOf } from '../../access/target-glob.js';
import { formatPath } from '../../config/describe.js';
import type { MessageContext, Stage, Verdict } from '../types.js';

export interface AclOptions {
  /** The compiled `default_policy` + `agents.*.allow|deny|can_message`. */
  readonly policy: Policy;
}

export interface AclDeps {
  /**
   * Whether a tool may be called by its last seen definition: a tool whose definition changed since it was pinned,
   * or whose description the rules flag, is not offered, so calling it is `acl_denied` like any other.
   */
  readonly toolAccess?: (backend: string, tool: string, agent: string) => { ok: true } | { ok: false; detail: string };
}

const CONTINUE: Verdict = { kind: 'continue' };

/**
 * `check-acl`: `policy.decide` for every message aimed at a tool, prompt or resource, and `policy.canMessage` for
 * every agent-to-agent message.
 */
export function createAclStage(options: AclOptions, deps: AclDeps = {}): Stage {
  const { policy } = options;
  return {
    name: 'check-acl',
    check(ctx) {
      if (ctx.target?.kind === 'agent') return checkMessage(policy, ctx, ctx.target.name);
      const { agent } = ctx.facts;
      const target = policyTargetOf(ctx.target);
      if (!target) {
        // A work call the router could not resolve gets the same answer as a forbidden one, so a client cannot
        // probe which tools exist (DESIGN.md §2).
        return ctx.phase === 'request' ? noTarget(ctx) : CONTINUE;
      }
      // Not only the request phase: resources/subscribe and completion/complete also name a resource or prompt,
      // and must not leak what the agent may not read.
      const { decision, rule } = policy.explain(agent, target);
      if (decision === 'allow') {
        if (target.kind !== 'tool' || !deps.toolAccess) return CONTINUE;
        const access = deps.toolAccess(target.backend, target.name, agent);
        return access.ok ? CONTINUE : { kind: 'deny', reason: 'acl_denied', detail: access.detail };
      }
      // The detail names the rule for the audit log; the client only ever sees the generic acl_denied message.
      return {
        kind: 'deny',
        reason: 'acl_denied',
        detail: `agent ${agent}: ${target.kind} ${target.backend}/${target.name} denied by ${rule}`,
      };
    },
  };
}

/** `agents.<sender>.can_message` (non-empty: exactly those agents; empty: `default_policy`). */
function checkMessage(policy: Policy, ctx: MessageContext, recipient: string): Verdict {
  const { agent } = ctx.facts;
  if (recipient === '') return noTarget(ctx);
  if (policy.canMessage(agent, recipient)) return CONTINUE;
  // Policy.canMessage does not say which rule decided; both possible ones are named for the operator.
  return {
    kind: 'deny',
    reason: 'acl_denied',
    detail: `agent ${agent}: message to ${recipient} denied by ${formatPath(['agents', agent, 'can_message'])} or default_policy`,
  };
}

function noTarget(ctx: MessageContext): Verdict {
  return { kind: 'deny', reason: 'acl_denied', detail: `agent ${ctx.facts.agent}: ${ctx.method} has no known target` };
}
