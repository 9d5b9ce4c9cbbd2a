/**
 * The admin listener (DESIGN.md §4): loopback by default, every route behind a bearer token from `admin.tokens`.
 * Serves /metrics, the review API (/v1/quarantine) and the /v1/admin routes; the dashboard mounts here when it arrives.
 */
import { Hono } from 'hono';
import type { GatewayMetrics } from '../observability/metrics.js';
import { type AgentAdmin, mountAgentRoutes } from './admin-agents.js';
import { type KeyAdmin, mountKeyRoutes } from './admin-keys.js';
import { type PinAdmin, mountPinRoutes } from './admin-pins.js';
import { type QuarantineAdmin, mountQuarantineRoutes } from './admin-quarantine.js';
import { createTokenCheck } from './bearer-auth.js';

export interface AdminAppOptions {
  readonly tokens: Readonly<Record<string, string>>;
  readonly metrics: GatewayMetrics;
  readonly agents: AgentAdmin;
  readonly keys: KeyAdmin;
  readonly pins: PinAdmin;
  readonly quarantine: QuarantineAdmin;
  /** The guard chain's status rows (`portcullis guards list`). */
  readonly guards: () => readonly unknown[];
  /** The dashboard (src/dashboard/), mounted at /dashboard; it signs its users in itself (token → session cookie). */
  readonly dashboard?: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
}

type AdminEnv = { Variables: { reviewer: string } };

export function createAdminApp(options: AdminAppOptions): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const checkToken = createTokenCheck(options.tokens);
  app.use('*', async (c, next) => {
    if (c.req.path === '/dashboard' || c.req.path.startsWith('/dashboard/')) return next();
    const reviewer = checkToken(c.req.header('authorization'));
    if (!reviewer) {
      c.header('WWW-Authenticate', 'Bearer realm="portcullis-admin"');
      return c.json({ error: 'unauthorized' }, 401);
    }
    c.set('reviewer', reviewer);
    await next();
    return undefined;
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', options.metrics.registry.contentType);
    return c.body(await options.metrics.render());
  });
  mountAgentRoutes(app, options.agents);
  mountKeyRoutes(app, options.keys);
  mountPinRoutes(app, options.pins);
  mountQuarantineRoutes(app, options.quarantine);
  app.get('/v1/admin/guards', (c) => c.json({ guards: options.guards() }));
  if (options.dashboard) {
    app.get('/dashboard', (c) => c.redirect('/dashboard/overview', 303));
    const dashboard = options.dashboard;
    // Handed the raw request (and the node bindings, for the client address its sign-in lockout counts).
    app.all('/dashboard/*', (c) => dashboard.fetch(c.req.raw, c.env));
  }
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}
