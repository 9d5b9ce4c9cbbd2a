/** Admin routes for agent keys (DESIGN.md §4 `/v1/admin/...`): list, rotate, revoke. The token's name is recorded. */
import type { Hono } from 'hono';
import { AGENT_NAME } from '../config/schema.js';
import type { KeyOutcome, KeyView } from '../key-operations.js';

export interface KeyAdmin {
  list(): Promise<KeyView[]>;
  rotate(agent: string, reviewer: string): Promise<KeyOutcome<{ fingerprint: string; previous: string; keyPath: string; pubPath: string }>>;
  revoke(agent: string, fingerprint: string | undefined, reviewer: string): Promise<KeyOutcome<{ fingerprint: string }>>;
}

const FINGERPRINT = /^[A-Za-z0-9_-]{43}$/;

export function mountKeyRoutes(app: Hono<{ Variables: { reviewer: string } }>, admin: KeyAdmin): void {
  app.get('/v1/admin/keys', async (c) => c.json({ keys: await admin.list() }));
  app.post('/v1/admin/keys/:agent/rotate', async (c) => {
    const agent = c.req.param('agent');
    if (!AGENT_NAME.test(agent)) return c.json({ error: 'invalid agent name' }, 400);
    const outcome = await admin.rotate(agent, c.get('reviewer'));
    return outcome.ok ? c.json(outcome.value) : c.json({ error: outcome.problem }, 409);
  });
  app.post('/v1/admin/keys/:agent/revoke', async (c) => {
    const agent = c.req.param('agent');
    if (!AGENT_NAME.test(agent)) return c.json({ error: 'invalid agent name' }, 400);
    const body = (await c.req.json().catch(() => ({}))) as { fingerprint?: unknown };
    const fingerprint = typeof body.fingerprint === 'string' ? body.fingerprint : undefined;
    if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint)) return c.json({ error: 'invalid fingerprint' }, 400);
    const outcome = await admin.revoke(agent, fingerprint, c.get('reviewer'));
    return outcome.ok ? c.json(outcome.value) : c.json({ error: outcome.problem }, 409);
  });
}
