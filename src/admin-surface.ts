/**
 * What the admin listener serves, put together: /metrics, the /v1/admin routes, the review API and the dashboard over
 * the same quarantine, agent and guard views. Nothing is built when no admin token is configured (the listener is
 * off then).
 */
import { createDashboardApp } from './dashboard/dashboard-app.js';
import type { LiveEvents } from './dashboard/live-events.js';
import type { GuardView, RuleView } from './dashboard/pages/operations.js';
import type { AgentAdmin } from './http/admin-agents.js';
import { createAdminApp } from './http/admin-app.js';
import type { KeyAdmin } from './http/admin-keys.js';
import type { PinAdmin } from './http/admin-pins.js';
import type { GatewayMetrics } from './observability/metrics.js';
import { createQuarantineAdmin } from './quarantine/admin-view.js';
import type { QuarantineReview } from './quarantine/review.js';
import { createAuditStats } from './store/audit-stats.js';
import type { Database } from './store/open-database.js';
import type { AuditReader } from './store/types.js';

export interface AdminSurfaceDeps {
  readonly tokens: Readonly<Record<string, string>>;
  readonly metrics: GatewayMetrics;
  readonly db: Database;
  readonly audit: AuditReader;
  readonly liveEvents: LiveEvents;
  readonly agents: AgentAdmin;
  readonly keys: KeyAdmin;
  readonly pins: PinAdmin;
  readonly review: QuarantineReview;
  readonly guards: () => readonly GuardView[];
  readonly rules: () => readonly RuleView[];
}

export function createAdminSurface(deps: AdminSurfaceDeps): ReturnType<typeof createAdminApp> | undefined {
  if (Object.keys(deps.tokens).length === 0) return undefined;
  const quarantine = createQuarantineAdmin(deps.review);
  const dashboard = createDashboardApp({
    tokens: deps.tokens,
    stats: createAuditStats(deps.db),
    audit: deps.audit,
    live: deps.liveEvents,
    quarantine,
    agents: deps.agents,
    guards: deps.guards,
    rules: deps.rules,
  });
  return createAdminApp({ tokens: deps.tokens, metrics: deps.metrics, agents: deps.agents, keys: deps.keys, pins: deps.pins, quarantine, guards: deps.guards, dashboard });
}
