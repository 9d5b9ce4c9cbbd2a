/**
 * Admin routes for agents (DESIGN.md §4 `/v1/admin/...`): list, suspend, unsuspend. The bearer token's name is the
 * reviewer, recorded with the change; a suspension applies to the agent's next request.
 */
import type { Hono } from 'hono';
import { AGENT_NAME } from '../config/schema.js';

/** What the admin API needs from the gateway to manage agents. */
export interface AgentAdmin {
  list(): AgentView[];
  setSuspended(agent: string, suspended: boolean, reviewer: string, reason: string | undefined): AgentView;
}

export interface AgentView {
  readonly agent: string;
  /** Suspended by the YAML or by an operator. */
  readonly suspended: boolean;
  readonly suspended_by_config: boolean;
  readonly suspended_by_operator: boolean;
  readonly reason: string | null;
  readonly updated_at: string | null;
  readonly updated_by: string | null;
}

const MAX_REASON_CHARS = 1_000;

export function mountAgentRoutes(app: Hono<{ Variables: { reviewer: string } }>, admin: AgentAdmin): void {
  app.get('/v1/admin/agents', (c) => c.json({ agents: admin.list() }));
  for (const [action, suspended] of [['suspend', true], ['unsuspend', false]] as const) {
    app.post(`/v1/admin/agents/:name/${action}`, async (c) => {
      const name = c.req.param('name');
      if (!AGENT_NAME.test(name)) return c.json({ error: 'invalid agent name' }, 400);
      const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, MAX_REASON_CHARS) : undefined;
      return c.json(admin.setSuspended(name, suspended, c.get('reviewer'), reason));
    });
  }
}
