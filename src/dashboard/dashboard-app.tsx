/**
 * The operator's dashboard (DESIGN.md §4 `GET /dashboard`), on the admin listener: server-rendered pages over the audit
 * log, the quarantine queue, agents, rules and guards, and a live event stream. Sign-in exchanges an admin token for
 * a session cookie; every POST needs the session's CSRF token; responses carry a CSP that forbids inline script, and
 * every value is rendered as text.
 */
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { AGENT_NAME } from '../config/schema.js';
import type { AgentAdmin } from '../http/admin-agents.js';
import type { QuarantineAdmin } from '../http/admin-quarantine.js';
import type { AuditStats } from '../store/audit-stats.js';
import { parseSince } from '../store/parse-since.js';
import type { AuditDecision, AuditReader } from '../store/types.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { type DashboardAuth, type DashboardSession, SESSION_COOKIE, createDashboardAuth } from './auth.js';
import { auditCsv } from './csv.js';
import type { LiveEvents } from './live-events.js';
import { type AuditFilter, AuditPage, EventsPage } from './pages/activity.js';
import { type Frame, LoginPage } from './pages/layout.js';
import { AgentsPage, type GuardView, GuardsPage, RulePage, type RuleView, RulesPage } from './pages/operations.js';
import { OverviewPage } from './pages/overview.js';
import { QuarantineItemPage, QuarantineListPage } from './pages/quarantine.js';

export interface DashboardDeps {
  readonly tokens: Readonly<Record<string, string>>;
  readonly stats: AuditStats;
  readonly audit: AuditReader;
  readonly live: LiveEvents;
  readonly quarantine: QuarantineAdmin;
  readonly agents: AgentAdmin;
  readonly guards: () => readonly GuardView[];
  readonly rules: () => readonly RuleView[];
}

type Env = { Variables: { session: DashboardSession } };

const DAY_MS = 86_400_000;
const MAX_FORM_BYTES = 16_384;
const AUDIT_PAGE_ROWS = 500;
const EXPORT_ROWS = 10_000;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const DECISIONS = new Set(['allow', 'deny', 'quarantine', 'event']);

export function createDashboardApp(deps: DashboardDeps, auth: DashboardAuth = createDashboardAuth(deps.tokens)): Hono<Env> {
  // Its routes are under /dashboard, where the admin listener hands it every request.
  const app = new Hono<Env>().basePath('/dashboard');

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its own form posts.
    c.header('Referrer-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  app.get('/assets/app.css', (c) => c.body(DASHBOARD_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/assets/app.js', (c) => c.body(DASHBOARD_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));

  app.get('/login', (c) => c.html(<LoginPage />));
  app.post('/login', async (c) => {
    if (!sameOrigin(c)) return c.text('cross-origin sign-in refused', 403);
    const form = await readForm(c);
    if (!form) return c.html(<LoginPage error="The form was too large." />, 413);
    const result = auth.signIn(String(form.token ?? ''), addressOf(c));
    if (!result.ok) {
      if (result.why === 'locked_out') {
        c.header('Retry-After', String(result.retryAfterS ?? 900));
        return c.html(<LoginPage error="Too many failed sign-ins from this address: try again later." />, 429);
      }
      return c.html(<LoginPage error="That token is not valid." />, 401);
    }
    setCookie(c, SESSION_COOKIE, result.session.id, { httpOnly: true, sameSite: 'Strict', path: '/dashboard', maxAge: Math.floor((result.session.expiresAt - Date.now()) / 1000) });
    return c.redirect('/dashboard/overview', 303);
  });

  // Everything below needs a session; every POST also its CSRF token.
  app.use('*', async (c, next) => {
    const session = auth.session(getCookie(c, SESSION_COOKIE));
    if (!session) return c.req.method === 'GET' ? c.redirect('/dashboard/login', 303) : c.text('sign in first', 401);
    if (c.req.method === 'POST') {
      const form = await readForm(c);
      if (!form) return c.text('the form is too large', 413);
      if (!sameOrigin(c) || !auth.csrfOk(session, form.csrf)) return c.text('the form is stale or forged (CSRF check failed): reload the page', 403);
    }
    c.set('session', session);
    await next();
    return undefined;
  });

  const frame = (c: Context<Env>): Frame => ({ reviewer: c.get('session').reviewer, csrf: c.get('session').csrf });

  app.get('/', (c) => c.redirect('/dashboard/overview', 303));
  app.post('/logout', (c) => {
    auth.signOut(c.get('session').id);
    deleteCookie(c, SESSION_COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard/login', 303);
  });

  app.get('/overview', (c) =>
    c.html(<OverviewPage frame={frame(c)} stats={deps.stats.overview(Date.now() - DAY_MS)} pending={deps.quarantine.pendingCount()} />),
  );

  app.get('/events', (c) => c.html(<EventsPage frame={frame(c)} filter={filterOf(c)} />));
  app.get('/events/stream', (c) => {
    const filter = filterOf(c);
    return streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = deps.live.subscribe(filter, (event) => {
        // A browser that falls behind loses its oldest events, never the gateway's memory.
        if (queue.length >= 500) queue.shift();
        queue.push(JSON.stringify(event));
        wake?.();
      });
      if (!unsubscribe) {
        await stream.writeSSE({ event: 'error', data: 'too many live streams are open' });
        return;
      }
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      while (!stream.aborted) {
        while (queue.length > 0) await stream.writeSSE({ event: 'audit', data: queue.shift() as string });
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000).unref();
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      unsubscribe();
    });
  });

  app.get('/quarantine', (c) => {
    const status = c.req.query('status') || undefined;
    const valid = status && ['pending', 'approved', 'rejected', 'expired'].includes(status) ? status : undefined;
    return c.html(<QuarantineListPage frame={frame(c)} items={deps.quarantine.list(valid)} status={valid} />);
  });
  app.get('/quarantine/:id', (c) => {
    const item = /^q_[0-9a-f]{24}$/.test(c.req.param('id')) ? deps.quarantine.get(c.req.param('id')) : undefined;
    if (!item) return c.text('no such held call', 404);
    const done = c.req.query('done');
    return c.html(<QuarantineItemPage frame={frame(c)} item={item} {...(done ? { notice: `Item ${done}.` } : {})} />);
  });
  for (const [verb, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    app.post(`/quarantine/:id/${verb}`, async (c) => {
      const id = c.req.param('id');
      if (!/^q_[0-9a-f]{24}$/.test(id)) return c.text('no such held call', 404);
      const form = (await readForm(c)) ?? {};
      const reason = typeof form.reason === 'string' && form.reason.trim() !== '' ? form.reason.trim() : null;
      const result = deps.quarantine.decide(id, decision, c.get('session').reviewer, reason);
      if (result.ok) return c.redirect(`/dashboard/quarantine/${id}?done=${decision}`, 303);
      const item = result.item ?? deps.quarantine.get(id);
      if (!item) return c.text('no such held call', 404);
      const why = { not_found: 'No such item.', not_pending: 'It was decided already.', expired: 'It expired: it can no longer be approved.', own_item: 'You cannot decide an item held for an agent of your own name.' }[result.why];
      return c.html(<QuarantineItemPage frame={frame(c)} item={item} error={why} />, result.why === 'own_item' ? 403 : 409);
    });
  }

  app.get('/agents', (c) => {
    // The configured agents, and those seen in the last day (onboarding callers need no config entry).
    const activity = deps.stats.agentActivity(Date.now() - DAY_MS);
    const denials = new Map([...activity].map(([agent, a]) => [agent, a.denials]));
    const known = deps.agents.list();
    const unlisted = [...activity.keys()].filter((name) => !known.some((a) => a.agent === name)).sort();
    const agents = [...known, ...unlisted.map((agent) => ({ agent, suspended: false, suspended_by_config: false, suspended_by_operator: false, reason: null, updated_at: null, updated_by: null }))];
    return c.html(<AgentsPage frame={frame(c)} agents={agents} denials={denials} />);
  });
  for (const [verb, suspended] of [['suspend', true], ['unsuspend', false]] as const) {
    app.post(`/agents/:name/${verb}`, async (c) => {
      const name = c.req.param('name');
      if (!AGENT_NAME.test(name)) return c.text('not an agent name', 400);
      const form = (await readForm(c)) ?? {};
      const reason = typeof form.reason === 'string' && form.reason.trim() !== '' ? form.reason.trim().slice(0, 1_000) : undefined;
      deps.agents.setSuspended(name, suspended, c.get('session').reviewer, reason);
      return c.redirect('/dashboard/agents', 303);
    });
  }

  app.get('/rules', (c) => c.html(<RulesPage frame={frame(c)} rules={deps.rules()} hits={deps.stats.ruleHits(Date.now() - DAY_MS)} />));
  app.get('/rules/:id', (c) => {
    const rule = deps.rules().find((r) => r.id === c.req.param('id'));
    if (!rule) return c.text('no such rule', 404);
    return c.html(<RulePage frame={frame(c)} rule={rule} hits={deps.stats.ruleHits(Date.now() - DAY_MS).get(rule.id) ?? 0} />);
  });

  app.get('/guards', (c) => c.html(<GuardsPage frame={frame(c)} guards={deps.guards()} />));

  app.get('/audit', (c) => {
    const filter = filterOf(c);
    const query = auditQuery(filter, AUDIT_PAGE_ROWS);
    const search = new URL(c.req.url).search;
    if ('error' in query) return c.html(<AuditPage frame={frame(c)} filter={filter} rows={[]} query={search} error={query.error} />, 400);
    return c.html(<AuditPage frame={frame(c)} filter={filter} rows={deps.audit.query(query)} query={search} />);
  });
  app.get('/audit/export.jsonl', (c) => {
    const query = auditQuery(filterOf(c), EXPORT_ROWS);
    if ('error' in query) return c.text(query.error, 400);
    const body = deps.audit.query(query).map((row) => JSON.stringify(row)).join('\n');
    return c.body(body === '' ? '' : `${body}\n`, 200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Disposition': 'attachment; filename="portcullis-audit.jsonl"' });
  });
  app.get('/audit/export.csv', (c) => {
    const query = auditQuery(filterOf(c), EXPORT_ROWS);
    if ('error' in query) return c.text(query.error, 400);
    return c.body(auditCsv(deps.audit.query(query)), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="portcullis-audit.csv"' });
  });

  app.notFound((c) => c.text('not found', 404));
  return app;
}

function filterOf(c: Context): AuditFilter {
  const pick = (name: string): string | undefined => {
    const value = c.req.query(name);
    return value && value.length <= 200 ? value : undefined;
  };
  const decision = pick('decision');
  return {
    ...(pick('agent') ? { agent: pick('agent') } : {}),
    ...(pick('backend') ? { backend: pick('backend') } : {}),
    ...(pick('tool') ? { tool: pick('tool') } : {}),
    ...(decision && DECISIONS.has(decision) ? { decision } : {}),
    ...(pick('since') ? { since: pick('since') } : {}),
  };
}

function auditQuery(filter: AuditFilter, limit: number): Parameters<AuditReader['query']>[0] | { error: string } {
  let since: number | undefined;
  if (filter.since) {
    try {
      since = parseSince(filter.since, Date.now());
    } catch (error) {
      return { error: `since: ${(error as Error).message}` };
    }
  }
  return {
    ...(filter.agent ? { agent: filter.agent } : {}),
    ...(filter.backend ? { backend: filter.backend } : {}),
    ...(filter.tool ? { tool: filter.tool } : {}),
    ...(filter.decision ? { decision: filter.decision as AuditDecision } : {}),
    ...(since !== undefined ? { since } : {}),
    limit,
  };
}

/**
 * The form fields of a POST (hono caches the parsed body, so the CSRF check and the route read it once); undefined
 * when the body is too large or of unknown length (browsers always send Content-Length for a form).
 */
async function readForm(c: Context): Promise<Record<string, unknown> | undefined> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (!Number.isFinite(declared) || declared > MAX_FORM_BYTES) return undefined;
  return (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
}

/** A POST whose Origin (when the browser sends one) is this dashboard's own. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (!origin) return true;
  const host = c.req.header('host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function addressOf(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
}
