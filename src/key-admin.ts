/** The gateway's key administration: key operations plus what a running gateway must do after each (reload, audit). */
import type { GatewayIdentity } from './gateway-identity.js';
import type { KeyAdmin } from './http/admin-keys.js';
import type { KeyOperations } from './key-operations.js';
import type { KeyStateStore } from './store/key-state-store.js';

export function createKeyAdmin(deps: {
  readonly ops: KeyOperations;
  readonly identity: GatewayIdentity;
  readonly store: KeyStateStore;
  readonly recordEvent: (method: string, fields: { agent: string; detail: string }) => void;
}): KeyAdmin {
  return {
    async list() {
      const agents = new Set([...deps.identity.agents(), ...deps.store.list().map((r) => r.agent)]);
      return Promise.all([...agents].sort().map((agent) => deps.ops.view(agent)));
    },
    async rotate(agent, reviewer) {
      const outcome = await deps.ops.rotate(agent, reviewer);
      if (outcome.ok) {
        await deps.identity.refresh();
        deps.recordEvent('key.rotated', { agent, detail: `by ${reviewer}: ${outcome.value.previous} → ${outcome.value.fingerprint}` });
      }
      return outcome;
    },
    async revoke(agent, fingerprint, reviewer) {
      const outcome = await deps.ops.revoke(agent, fingerprint, reviewer);
      if (outcome.ok) {
        await deps.identity.refresh();
        deps.recordEvent('key.revoked', { agent, detail: `by ${reviewer}: ${outcome.value.fingerprint}` });
      }
      return outcome;
    },
  };
}
