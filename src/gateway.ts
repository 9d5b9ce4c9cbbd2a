/**
 * The composition root (STYLE.md §5): `createGateway(config)` builds every part of a gateway completely, with no
 * setters and no module-level state. `start()` opens the store, connects the backends and listens; `stop()` drains.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { findUnenforcedSettings } from './config/unenforced.js';
import { type Config, isLoopbackHost } from './config/schema.js';
import { GatewayError } from './errors.js';
import { createAddressResolver, createAddressedUrl } from './http/client-address.js';
import { createMcpEndpoint } from './http/mcp-endpoint.js';
import { createPublicApp } from './http/public-app.js';
import { createSessionRegistry } from './mcp/session-registry.js';
import { createRouter } from './mcp/router.js';
import { findSharedNames } from './mcp/namespacing.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createRequestStages, createResponseStages } from './pipeline/stages.js';
import { createSqliteAuditLog } from './store/audit-log.js';
import { openDatabase } from './store/open-database.js';
import { pruneAudit } from './store/retention.js';
import { createAgentStateStore } from './store/agent-state.js';
import { createMessageStore } from './store/message-store.js';
import { createMessageService } from './messages/message-service.js';
import { listAgents, viewOf } from './agents-view.js';
import { compilePolicy } from './access/policy.js';
import { createRateLimiter } from './access/sliding-window.js';
import { createGatewayIdentity } from './gateway-identity.js';
import { createKeyStateStore } from './store/key-state-store.js';
import { createKeyOperations } from './key-operations.js';
import { createKeyAdmin } from './key-admin.js';
import { createActionPolicy } from './scanner/actions.js';
import { createGatewayContent } from './gateway-content.js';
import { webhookListener } from './webhooks/audit-tap.js';
import { withCommitListeners } from './store/commit-listeners.js';
import { createLiveEvents } from './dashboard/live-events.js';
import { createAdminSurface } from './admin-surface.js';
import { createWebhookDispatcher } from './webhooks/dispatcher.js';
import type { AuditRecord } from './store/types.js';
import { type Backend, type BackendStatus, createBackend } from './upstream/backend.js';
import { buildHealth } from './health.js';
import { type ConfigReport, mergeReloadable } from './live-config.js';
import { type ConfigWatcher, type ReloadOutcome, watchConfig } from './config/watch.js';
import { formatProblem, type Env } from './config/load.js';
import type { LiveState } from './mcp/router-context.js';
import { GuardHost, GuardLoadError, type GuardReload, type GuardStatusRow, formatRefused } from './guard-runtime/guard-host.js';

export const GATEWAY_INFO = { name: 'portcullis', version: '0.1.0' } as const;

/** Quarantine items past `quarantine.expiry_h` are expired on every read and decision; this sweep marks the rest. */
const QUARANTINE_SWEEP_INTERVAL_MS = 60_000;
/** Expired messages are hidden at once and deleted on every write; this sweep catches inboxes nobody writes to. */
const MESSAGE_PRUNE_INTERVAL_MS = 60_000;
/** At most this many rows per sweep (in chunks), so one sweep never holds the event loop for long. */
const MESSAGE_PRUNE_MAX_ROWS = 50_000;

export interface GatewayOptions {
  readonly logger: Logger;
  /** Path of the config file, for /healthz and messages. */
  readonly configFile?: string;
  /** How long `stop()` waits for calls in flight. */
  readonly drainTimeoutMs?: number;
  readonly backendHealthIntervalMs?: number;
  /** Watch the config file and apply edits live (DESIGN.md §4). `text` is what the running config was read from. */
  readonly watch?: { readonly env: Env; readonly text: string };
  /** Told about slow start-up steps (the CLI prints them). */
  readonly onProgress?: (message: string) => void;
}

export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `http://host:port/mcp` once started. */
  readonly url: string;
  readonly adminUrl: string | undefined;
  backendStatuses(): ReadonlyMap<string, BackendStatus>;
  readonly databasePath: string;
  /** Applies an edited config, or rejects it keeping the running one (the watcher calls this; so may tests). */
  reload(outcome: ReloadOutcome): void;
  /** The running config (a frozen value; replaced whole by a reload). */
  currentConfig(): Config;
  /** The guard chain, as `portcullis guards list` shows it. */
  guardStatus(): readonly GuardStatusRow[];
  /** Re-reads the guards directory now (the watcher does this on its own). */
  reloadGuards(): Promise<void>;
}

/** Checks a config for what this gateway refuses to run with; throws GatewayError listing every problem. */
export function assertRunnable(config: Config): void {
  const problems = findUnenforcedSettings(config);
  if (config.server.loopback_only && !isLoopbackHost(config.server.host)) {
    problems.push(`server.host ${config.server.host} is not a loopback address, and this config is loopback_only (a demo that accepts unsigned callers)`);
  }
  if (problems.length > 0) throw new GatewayError('config_unenforced', problems.join('; '), problems);
}

export function createGateway(config: Config, options: GatewayOptions): Gateway {
  assertRunnable(config);
  const logger = options.logger;
  const metrics = createMetrics({ defaultMetrics: true });
  const sessions = createSessionRegistry({ max: config.sessions.max, idleTtlMs: config.sessions.idle_ttl_s * 1000 });
  const db = openDatabase(config.storage.sqlite);
  // Webhooks follow the committed audit log (src/webhooks/audit-tap.ts); hooks are read from the running config.
  let liveWebhooks = config.webhooks;
  const webhooks = createWebhookDispatcher({ hooks: () => liveWebhooks, logger: logger.child({ component: 'webhooks' }) });
  const auditStore = createSqliteAuditLog(db, {
    maxPayloadBytes: config.audit.max_payload_bytes,
    onError: (error) => logger.error('audit batch failed', { error }),
  });
  // The dashboard's live feed and the webhooks follow what was committed.
  const liveEvents = createLiveEvents();
  const audit = withCommitListeners(auditStore, [(record) => liveEvents.publish(record), webhookListener(webhooks)], (error) =>
    logger.error('audit listener failed', { error }),
  );
  const recordEvent = (method: string, fields: Partial<AuditRecord> = {}): void => {
    audit
      .append({ ts: Date.now(), kind: 'event', method, decision: 'event', forwarded: false, mode: config.mode, ...fields })
      .catch((error: unknown) => logger.error('audit event failed', { method, error }));
  };

  const agentState = createAgentStateStore(db);
  // Quotas outlive config reloads: a reload must not hand every agent a fresh window.
  const limiters = {
    source: createRateLimiter({ maxKeys: 100_000 }),
    verified: createRateLimiter({ maxKeys: 100_000 }),
    unverified: createRateLimiter({ maxKeys: 10_000 }),
  };
  const keyStore = createKeyStateStore(db);
  const identity = createGatewayIdentity(config.identity.keys_dir, keyStore, logger, (agents, problems) =>
    recordEvent('keys.loaded', { detail: [`${agents.length} agent key(s)`, ...problems].join('\n').slice(0, 4_000) }),
  );
  const guards = new GuardHost({
    dir: config.guards.dir,
    workers: config.guards.workers,
    logger: logger.child({ component: 'guards' }),
    watch: true,
    metrics,
    onReload: (report) =>
      recordEvent(report.refused.length > 0 ? 'guards.refused' : 'guards.loaded', { detail: describeGuardReload(report).slice(0, 4_000) }),
  });
  // Rules, pins and holds read the running config through `live`, which is assigned right below.
  const content = openContent(() => createGatewayContent(config, { db, logger, live: () => live, recordEvent }), db);
  const buildLive = (next: Config): LiveState => {
    const policy = compilePolicy(next);
    const actions = createActionPolicy(next);
    const isSuspended = (agent: string): boolean => agentState.isSuspended(agent);
    const deps = {
      config: next, policy, actions, limiters, isSuspended, identity: identity.signatureDeps,
      ruleSet: content.rules.current, escalation: content.escalation, toolAccess: content.toolGate.callable, guards,
    };
    return { config: next, policy, actions, stages: { request: createRequestStages(deps), response: createResponseStages(deps) } };
  };
  let live = buildLive(config);
  let configReport: ConfigReport = { file: options.configFile ?? null, loadedAt: new Date().toISOString() };
  let watcher: ConfigWatcher | undefined;

  const backends = new Map<string, Backend>();
  const router = createRouter({
    live: () => live,
    prefixMode: config.tool_names.prefix,
    backends,
    sessions,
    audit,
    metrics,
    logger,
    gatewayInfo: GATEWAY_INFO,
    toolGate: content.toolGate,
    screen: content.screen,
    quarantine: content.holds,
    onSessionClosed: (id) => guards.forgetSession(id),
  });
  const events = {
    ...router.backendEvents,
    onToolDefinitions: (id: string, tools: readonly unknown[]) => content.toolGate.observe(id, tools),
    onStateChange: (id: string, status: BackendStatus) => {
      router.backendEvents.onStateChange(id, status);
      if (status.state === 'up' || status.state === 'down') recordEvent(`backend.${status.state}`, { backend: id, detail: status.error ?? null });
    },
  };
  for (const [id, backendConfig] of Object.entries(config.backends)) {
    backends.set(id, createBackend(id, backendConfig, { logger, events, gatewayInfo: GATEWAY_INFO, healthIntervalMs: options.backendHealthIntervalMs }));
  }

  let draining = false;
  let started = false;
  const originPolicy = { allowedHosts: config.server.allowed_hosts, allowedOrigins: config.server.allowed_origins };
  const messageStore = createMessageStore(db);
  const messages = createMessageService({
    live: () => live,
    store: messageStore,
    audit,
    keys: () => identity.signatureDeps.keys(),
    metrics,
    logger,
    isDraining: () => draining,
  });
  const endpoint = createMcpEndpoint({
    maxBodyBytes: config.server.max_body_bytes,
    originPolicy,
    sessions,
    router,
    logger,
    isDraining: () => draining,
    onSessionCountChange: (count) => metrics.setSessions(count),
    authorizeSessionRequest: (request, session, url) => identity.authorizeSessionRequest(request, session, live.config, url),
  });
  const publicApp = createPublicApp({
    mcp: endpoint,
    messages: { service: messages, maxBodyBytes: config.server.max_body_bytes, originPolicy },
    resolveAddress: createAddressResolver(config.server.trusted_proxies),
    addressedUrl: createAddressedUrl(config.server.trusted_proxies),
    health: () => buildHealth({ started, backends, config: configReport, rules: content.rules, guards }),
    logger,
  });
  const adminTokens = config.admin.tokens;
  const keyOps = createKeyOperations({ keysDir: config.identity.keys_dir, store: keyStore, graceS: () => live.config.identity.rotation_grace_s });
  const keyAdmin = createKeyAdmin({ ops: keyOps, identity, store: keyStore, recordEvent });
  const agentAdmin = {
    list: () => listAgents(live.config, agentState),
    setSuspended: (agent: string, suspended: boolean, reviewer: string, reason: string | undefined) => {
      agentState.setSuspended(agent, suspended, reviewer, reason);
      recordEvent(suspended ? 'agent.suspended' : 'agent.unsuspended', { agent, detail: `by ${reviewer}${reason ? `: ${reason}` : ''}` });
      logger.info(suspended ? 'agent suspended' : 'agent unsuspended', { agent, reviewer });
      return viewOf(agent, live.config, agentState);
    },
  };
  const adminApp = createAdminSurface({
    tokens: adminTokens, metrics, db, audit: auditStore, liveEvents, agents: agentAdmin, keys: keyAdmin, pins: content.pinAdmin,
    review: content.review, guards: () => guards.status(), rules: () => content.rules.current().rules.map(({ rule }) => rule),
  });

  let publicServer: Server | undefined;
  let adminServer: Server | undefined;
  let url = '';
  let adminUrl: string | undefined;
  const timers: NodeJS.Timeout[] = [];

  const reload = (outcome: ReloadOutcome): void => {
    const at = new Date().toISOString();
    let problems: string[] = [];
    if (outcome.kind === 'rejected') {
      problems = outcome.problems.map(formatProblem);
    } else {
      const merged = mergeReloadable(live.config, outcome.config);
      try {
        assertRunnable(merged.config);
        live = buildLive(merged.config);
        liveWebhooks = merged.config.webhooks;
        configReport = { ...configReport, lastReload: { at, status: 'applied', pendingRestart: merged.pendingRestart } };
        logger.info('config reloaded', { file: options.configFile, pending_restart: merged.pendingRestart });
        recordEvent('config.reload', { detail: merged.pendingRestart.length ? `restart needed for: ${merged.pendingRestart.join(', ')}` : null });
        return;
      } catch (error) {
        problems = error instanceof GatewayError ? [...error.problems] : [String(error)];
      }
    }
    // A broken edit keeps the running config: say why once, everywhere an operator looks.
    configReport = { ...configReport, lastReload: { at, status: 'rejected', problems } };
    logger.error('config edit rejected; the running config stays', { file: options.configFile, problems });
    recordEvent('config.rejected', { detail: problems.join('\n').slice(0, 4_000) });
  };

  const pruneMessages = (): void => {
    try {
      messageStore.pruneExpired(Date.now(), MESSAGE_PRUNE_MAX_ROWS);
    } catch (error) {
      logger.error('pruning expired messages failed', { error });
    }
  };

  const sweepIdleSessions = (): void => {
    for (const session of sessions.idle(Date.now())) {
      logger.info('session idle: closed', { session: session.id });
      void endpoint.closeSession(session);
    }
  };

  return {
    get url() {
      return url;
    },
    get adminUrl() {
      return adminUrl;
    },
    databasePath: db.path,
    reload,
    currentConfig: () => live.config,
    guardStatus: () => guards.status(),
    reloadGuards: () => guards.reload(),
    backendStatuses: () => new Map([...backends].map(([id, b]) => [id, b.status()])),
    async start() {
      await identity.open();
      options.onProgress?.(`loading guards from ${config.guards.dir}`);
      try {
        await guards.start();
      } catch (error) {
        if (error instanceof GuardLoadError) throw new GatewayError('guards_refused', error.message, error.problems);
        throw error;
      }
      publicServer = await listen(publicApp.fetch, config.server.host, config.server.port);
      url = `http://${formatHost(config.server.host)}:${(publicServer.address() as AddressInfo).port}/mcp`;
      if (adminApp) {
        adminServer = await listen(adminApp.fetch, config.admin.host, config.admin.port);
        adminUrl = `http://${formatHost(config.admin.host)}:${(adminServer.address() as AddressInfo).port}`;
      }
      await Promise.all([...backends.values()].map((b) => b.start()));
      assertNoSharedNames(config, backends);
      started = true;
      const sweepMs = Math.max(1_000, Math.min(60_000, (config.sessions.idle_ttl_s * 1000) / 2));
      timers.push(setInterval(sweepIdleSessions, sweepMs));
      timers.push(setInterval(() => pruneAudit(db, live.config.audit.retention_days, Date.now()), 3_600_000));
      timers.push(setInterval(pruneMessages, MESSAGE_PRUNE_INTERVAL_MS));
      timers.push(setInterval(() => content.review.sweep(), QUARANTINE_SWEEP_INTERVAL_MS));
      pruneAudit(db, config.audit.retention_days, Date.now());
      for (const timer of timers) timer.unref();
      if (options.watch && options.configFile) {
        watcher = watchConfig({ file: options.configFile, env: options.watch.env, initialText: options.watch.text, onReload: reload });
      }
      recordEvent('gateway.start', { detail: url });
    },
    async stop() {
      draining = true;
      watcher?.close();
      identity.close();
      for (const timer of timers) clearInterval(timer);
      const closing = publicServer ? closeServer(publicServer) : Promise.resolve();
      await waitFor(() => router.inflightCount() + messages.inflightCount() === 0, options.drainTimeoutMs ?? 10_000);
      await Promise.all([...sessions.all()].map((session) => endpoint.closeSession(session)));
      publicServer?.closeAllConnections();
      await closing;
      await Promise.all([...backends.values()].map((b) => b.stop()));
      if (adminServer) {
        adminServer.closeAllConnections();
        await closeServer(adminServer);
      }
      content.close();
      await guards.close();
      recordEvent('gateway.stop');
      await audit.close();
      // Events of the last moments still go out, briefly; then the rest is dropped (the audit log has them).
      await webhooks.drain(2_000);
      webhooks.close();
      db.close();
    },
  };
}

function describeGuardReload(report: GuardReload): string {
  const lines = [`active: ${report.active.join(', ') || 'none'}`];
  for (const refused of report.refused) lines.push(...formatRefused(refused).map((line) => `refused ${refused.name}: ${line}`));
  return lines.join('\n');
}

/** Builds the content parts; a rules directory that does not load refuses the start and closes the store. */
function openContent<T>(build: () => T, db: { close(): void }): T {
  try {
    return build();
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Under `tool_names.prefix: never`, two backends offering the same name cannot both be reached: refuse to run. */
function assertNoSharedNames(config: Config, backends: ReadonlyMap<string, Backend>): void {
  if (config.tool_names.prefix !== 'never') return;
  const tools = findSharedNames(new Map([...backends].map(([id, b]) => [id, b.catalog().tools] as const)));
  const prompts = findSharedNames(new Map([...backends].map(([id, b]) => [id, b.catalog().prompts] as const)));
  const shared = [...[...tools].map((n) => `tool ${n}`), ...[...prompts].map((n) => `prompt ${n}`)];
  if (shared.length > 0) {
    const problems = shared.map((name) => `tool_names.prefix: never, but several backends offer ${name}`);
    throw new GatewayError('name_conflict', problems.join('; '), problems);
  }
}

function listen(fetch: (request: Request, env: never) => Response | Promise<Response>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: fetch as never, hostname: host, port }) as Server;
    server.once('listening', () => resolve(server));
    server.once('error', (error) => reject(new GatewayError('listen_failed', `cannot listen on ${host}:${port}: ${error.message}`)));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}
