/**
 * One configured backend: its lifecycle (start, health, reconnect with backoff, stop), the gateway's own control
 * session (catalog, health), and the sessions it opens for client sessions (DESIGN.md §1): an HTTP backend gets one
 * backend session per client session, opened lazily; a stdio backend is one shared process unless `per_session`.
 * `roots/list` and `ping` from a backend are answered here from config; client roots are never forwarded.
 */
import type { Answer, JSONRPCNotification, JSONRPCRequest } from '../mcp/jsonrpc.js';
import type { Logger } from '../observability/logger.js';
import { createBackoff } from './backoff.js';
import { type Catalog, EMPTY_CATALOG, fetchCatalog } from './catalog.js';
import { type UpstreamChannel, describeError, openChannel } from './channel.js';
import { Agent } from 'node:http';
import type { BackendConfig, StdioBackendConfig } from '../config/schema.js';
import { type OpenedTransport, openHttpTransport, openStdioTransport } from './connect.js';
import { type BackendInfo, performHandshake } from './handshake.js';

export type BackendState = 'starting' | 'up' | 'down' | 'stopped';

export interface BackendStatus {
  readonly state: BackendState;
  readonly since: number;
  readonly error: string | undefined;
  readonly tools: number;
}

/** What a client session tells a backend when it opens a session for it. */
export interface SessionLink {
  readonly sessionId: string;
  readonly clientInfo: { name: string; version: string };
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  readonly protocolVersion: string;
}

/** Where a backend reports what it cannot handle alone. `sessionId` is undefined on a shared channel. */
export interface BackendEvents {
  onServerRequest(backend: string, sessionId: string | undefined, request: JSONRPCRequest): Promise<Answer>;
  onNotification(backend: string, sessionId: string | undefined, notification: JSONRPCNotification): void;
  onStateChange(backend: string, status: BackendStatus): void;
  onCatalogChange(backend: string): void;
  /** Tool definitions the gateway's own session read (at connect and after list_changed). */
  onToolDefinitions?(backend: string, tools: readonly unknown[]): void;
}

export type ChannelLookup = { readonly ok: true; readonly channel: UpstreamChannel } | { readonly ok: false; readonly detail: string };

export interface Backend {
  readonly id: string;
  readonly config: BackendConfig;
  status(): BackendStatus;
  info(): BackendInfo | undefined;
  catalog(): Catalog;
  /** The channel a client session uses with this backend; opens it on first use. */
  channelFor(link: SessionLink): Promise<ChannelLookup>;
  /** Closes what this backend holds for a client session. */
  release(sessionId: string): Promise<void>;
  /** A request through this backend failed at the transport: check health now. */
  reportFailure(): void;
  /** Resolves once the first connection attempt has finished, successfully or not. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface BackendDeps {
  readonly logger: Logger;
  readonly events: BackendEvents;
  readonly gatewayInfo: { name: string; version: string };
  /** Health-check period of an HTTP backend's control session. */
  readonly healthIntervalMs?: number;
}

interface Connection {
  readonly channel: UpstreamChannel;
  readonly opened: OpenedTransport;
  readonly info: BackendInfo;
}

/** Creates a backend; nothing happens until `start()`. */
export function createBackend(id: string, config: BackendConfig, deps: BackendDeps): Backend {
  const logger = deps.logger.child({ backend: id });
  const timeoutMs = config.timeout_s * 1000;
  const shared = config.transport === 'stdio' && !config.per_session;
  const backoff = createBackoff();
  const sessions = new Map<string, Promise<ChannelLookup>>();
  const sessionConnections = new Map<string, Connection>();
  let control: Connection | undefined;
  let catalog: Catalog = EMPTY_CATALOG;
  let status: BackendStatus = { state: 'starting', since: Date.now(), error: undefined, tools: 0 };
  let retryTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let catalogTimer: NodeJS.Timeout | undefined;
  let checking = false;

  // Read through a function: `stop()` may change the state while a connection attempt awaits.
  const isStopped = (): boolean => status.state === 'stopped';
  const setStatus = (state: BackendState, error?: string): void => {
    const changed = state !== status.state;
    status = { state, since: changed ? Date.now() : status.since, error, tools: catalog.tools.length };
    if (changed) deps.events.onStateChange(id, status);
  };

  const answerLocally = (request: JSONRPCRequest): Answer | undefined => {
    if (request.method === 'roots/list') return { result: { roots: config.roots.map((uri) => ({ uri })) } };
    if (request.method === 'ping') return { result: {} };
    return undefined;
  };

  const capabilitiesFor = (client: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> => {
    const caps: Record<string, unknown> = {};
    // Roots come from config only (some servers let client roots widen their sandbox).
    if (config.roots.length > 0) caps.roots = { listChanged: false };
    // A shared session serves many clients: announce what the gateway can route, refuse per request later.
    if (client === undefined || 'sampling' in client) caps.sampling = {};
    if (client === undefined || 'elicitation' in client) caps.elicitation = {};
    return caps;
  };

  // One keep-alive connection pool per HTTP backend, shared by its sessions.
  const agent = config.transport === 'http' ? new Agent({ keepAlive: true, maxSockets: 256 }) : undefined;

  const connect = async (label: string, link: SessionLink | undefined, onClose: () => void): Promise<Connection> => {
    const opened = config.transport === 'stdio' || !agent ? openStdioTransport(config as StdioBackendConfig, logger) : openHttpTransport(config, agent);
    const sessionId = link?.sessionId;
    const routesToClients = link !== undefined || shared;
    const channel = await openChannel(opened.transport, label, {
      onServerRequest: (request) => {
        const local = answerLocally(request);
        if (local) return Promise.resolve(local);
        if (!routesToClients) return Promise.resolve({ error: { code: -32601, message: 'Not available on this session' } });
        return deps.events.onServerRequest(id, sessionId, request);
      },
      onNotification: (notification) => {
        if (link === undefined && notification.method.endsWith('/list_changed')) scheduleCatalogRefresh();
        if (routesToClients) deps.events.onNotification(id, sessionId, notification);
      },
      onClose,
      onError: (error) => logger.debug('backend transport error', { error }),
    });
    const handshake = await performHandshake(channel, {
      clientInfo: link?.clientInfo ?? deps.gatewayInfo,
      capabilities: capabilitiesFor(link?.clientCapabilities),
      protocolVersion: link?.protocolVersion,
      timeoutMs,
    });
    if (!handshake.ok) {
      const stderr = opened.recentStderr();
      await opened.shutdown().catch(() => undefined);
      await channel.close();
      throw new Error(stderr ? `${handshake.detail} (stderr: ${stderr})` : handshake.detail);
    }
    opened.setProtocolVersion(handshake.info.protocolVersion);
    return { channel, opened, info: handshake.info };
  };

  const scheduleRetry = (): void => {
    if (status.state === 'stopped' || retryTimer) return;
    const delay = backoff.next();
    logger.info('backend retry scheduled', { in_ms: delay });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connectControl();
    }, delay);
    retryTimer.unref();
  };

  const markDown = (error: string): void => {
    if (status.state === 'stopped') return;
    logger.warn('backend down', { error });
    const lost = control;
    control = undefined;
    void lost?.opened.shutdown().catch(() => undefined);
    void closeSessions();
    setStatus('down', error);
    scheduleRetry();
  };

  const seeTools = (tools: readonly unknown[]): void => deps.events.onToolDefinitions?.(id, tools);

  const connectControl = async (): Promise<void> => {
    if (status.state === 'stopped') return;
    try {
      // The process may die during the handshake, before `conn` is assigned: the handshake then fails instead.
      let conn: Connection | undefined = undefined;
      const onClose = (): void => {
        if (conn && control === conn) markDown(`connection lost${describeStderr(conn)}`);
      };
      conn = await connect(`${id} (control)`, undefined, onClose);
      if (isStopped()) return void conn.opened.shutdown();
      control = conn;
      catalog = await fetchCatalog(conn.channel, conn.info, timeoutMs, seeTools);
      backoff.reset();
      setStatus('up');
      logger.info('backend up', { server: conn.info.serverInfo.name, tools: catalog.tools.length });
      if (config.transport === 'http') startHealthChecks();
    } catch (error) {
      markDown(describeError(error));
    }
  };

  const scheduleCatalogRefresh = (): void => {
    if (catalogTimer) return;
    catalogTimer = setTimeout(() => {
      catalogTimer = undefined;
      const conn = control;
      if (!conn) return;
      void fetchCatalog(conn.channel, conn.info, timeoutMs, seeTools).then((next) => {
        catalog = next;
        status = { ...status, tools: next.tools.length };
        deps.events.onCatalogChange(id);
      });
    }, 50);
  };

  const checkHealth = async (): Promise<void> => {
    const conn = control;
    if (checking || !conn || status.state !== 'up') return;
    checking = true;
    const outcome = await conn.channel.request('ping', {}, { timeoutMs: Math.min(timeoutMs, 10_000) });
    checking = false;
    if (outcome.kind === 'unavailable' && control === conn) markDown(outcome.detail);
  };

  const startHealthChecks = (): void => {
    clearInterval(healthTimer);
    healthTimer = setInterval(() => void checkHealth(), deps.healthIntervalMs ?? 30_000);
    healthTimer.unref();
  };

  const openSession = async (link: SessionLink): Promise<ChannelLookup> => {
    try {
      const conn = await connect(`${id} (session ${link.sessionId.slice(0, 8)})`, link, () => {
        sessions.delete(link.sessionId);
        sessionConnections.delete(link.sessionId);
      });
      sessionConnections.set(link.sessionId, conn);
      return { ok: true, channel: conn.channel };
    } catch (error) {
      sessions.delete(link.sessionId);
      deps.logger.warn('backend session failed', { backend: id, error });
      void checkHealth();
      return { ok: false, detail: describeError(error) };
    }
  };

  const closeSessions = async (): Promise<void> => {
    const open = [...sessionConnections.values()];
    sessions.clear();
    sessionConnections.clear();
    await Promise.all(open.map((conn) => conn.opened.shutdown().catch(() => undefined)));
  };

  return {
    id,
    config,
    status: () => status,
    info: () => control?.info,
    catalog: () => catalog,
    async channelFor(link) {
      if (status.state !== 'up' || !control) return { ok: false, detail: `${id} is ${status.state}` };
      if (shared) return { ok: true, channel: control.channel };
      let lookup = sessions.get(link.sessionId);
      if (!lookup) {
        lookup = openSession(link);
        sessions.set(link.sessionId, lookup);
      }
      return lookup;
    },
    async release(sessionId) {
      const lookup = sessions.get(sessionId);
      sessions.delete(sessionId);
      await lookup;
      const conn = sessionConnections.get(sessionId);
      sessionConnections.delete(sessionId);
      await conn?.opened.shutdown().catch(() => undefined);
    },
    reportFailure: () => void checkHealth(),
    start: () => connectControl(),
    async stop() {
      status = { ...status, state: 'stopped' };
      clearTimeout(retryTimer);
      clearInterval(healthTimer);
      clearTimeout(catalogTimer);
      const conn = control;
      control = undefined;
      await closeSessions();
      await conn?.opened.shutdown().catch(() => undefined);
      agent?.destroy();
    },
  };
}

function describeStderr(conn: Connection): string {
  const stderr = conn.opened.recentStderr();
  return stderr ? ` (stderr: ${stderr})` : '';
}
