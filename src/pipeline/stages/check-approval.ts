// Threat: a call the operator wants a person to sign off on (`approval.require`, `agents.<name>.approval`, e.g.
// "every files/delete_*") running without one. The stage holds the call; handle-request keeps the client waiting up
// to `quarantine.hold_s` and forwards it only once a reviewer approves (an approved call passes this stage once).
import type { Policy } from '../../access/policy.js';
import { policyTargetOf } from '../../access/target-glob.js';
import type { Stage, Verdict } from '../types.js';

export interface ApprovalOptions {
  /** The compiled policy: `approval.require` and `agents.<name>.approval` globs over `<backend>/<name>`. */
  readonly policy: Policy;
}

const CONTINUE: Verdict = { kind: 'continue' };

/** `check-approval`: quarantines a work call whose target an approval glob names. */
export function createApprovalStage(options: ApprovalOptions): Stage {
  return {
    name: 'check-approval',
    check(ctx) {
      if (ctx.phase !== 'request' || ctx.target?.kind === 'agent') return CONTINUE;
      const target = policyTargetOf(ctx.target);
      if (!target) return CONTINUE;
      const rule = options.policy.approvalRule(ctx.facts.agent, target);
      if (rule === undefined) return CONTINUE;
      return {
        kind: 'quarantine',
        reason: 'quarantined',
        findings: [{ source: 'approval', id: rule, action: 'quarantine', message: `${target.backend}/${target.name} needs a person's approval (${rule})` }],
      };
    },
  };
}
