// Threat: an agent an operator has stopped (in the YAML, or live via `portcullis agents suspend`) still acting.
// Fails closed: every message of a suspended agent is denied; a failing suspension lookup throws → internal_error.
import type { Policy } from '../../access/policy.js';
import { formatPath } from '../../config/describe.js';
import type { Stage } from '../types.js';

export interface SuspensionOptions {
  /** Supplies `agents.<name>.suspended`. */
  readonly policy: Policy;
}

export interface SuspensionDeps {
  /** Operator suspensions (persisted by the store, changed through the admin API); read on every message. */
  readonly isSuspended: (agent: string) => boolean;
}

/** `check-suspension`: an agent is suspended if the YAML says so or an operator suspended it (DESIGN.md §4). */
export function createSuspensionStage(options: SuspensionOptions, deps: SuspensionDeps): Stage {
  const { policy } = options;
  return {
    name: 'check-suspension',
    check(ctx) {
      // Every phase, housekeeping included: a suspended agent gets nothing through, not even a list or a ping.
      const { agent } = ctx.facts;
      if (policy.isSuspended(agent)) {
        const rule = formatPath(['agents', agent, 'suspended']);
        return { kind: 'deny', reason: 'suspended', detail: `agent ${agent} is suspended by the config (${rule})` };
      }
      if (deps.isSuspended(agent)) {
        return { kind: 'deny', reason: 'suspended', detail: `agent ${agent} is suspended by an operator` };
      }
      return { kind: 'continue' };
    },
  };
}
