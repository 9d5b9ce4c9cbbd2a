/**
 * The gateway's lean MCP router (DESIGN.md §1): takes raw JSON-RPC messages from client sessions and backends and
 * sends each where it belongs. Requests from clients go through handle-request.ts (pipeline, audit); a backend's
 * requests and notifications go to the client sessions they concern.
 */
import type { BackendEvents } from '../upstream/backend.js';
import { announceListsChanged, deliverBackendNotification } from './backend-notifications.js';
import type { ClientSession } from './client-session.js';
import { type MessageOrigin, handleClientRequest } from './handle-request.js';
import { type JSONRPCMessage, type JSONRPCNotification, idKey, isNotification, isRequest, isResponse } from './jsonrpc.js';
import { createNamer } from './namespacing.js';
import { recordNotification } from './notification-audit.js';
import { createResourceRoutes } from './resource-routes.js';
import type { RouterContext, RouterDeps } from './router-context.js';
import { routeServerRequest } from './server-requests.js';

export type { MessageOrigin } from './handle-request.js';

export interface Router {
  /** A message a client sent on its session. Never throws; problems are answered or logged. */
  handleMessage(session: ClientSession, message: JSONRPCMessage, origin: MessageOrigin): void;
  /** Ends a session: cancels its calls, refuses its pending backend requests, closes its backend sessions. */
  closeSession(session: ClientSession): Promise<void>;
  /** Where backends report (wire into every Backend). */
  readonly backendEvents: BackendEvents;
  /** Client requests in flight across all sessions. */
  inflightCount(): number;
}

export function createRouter(deps: RouterDeps): Router {
  const ctx: RouterContext = {
    ...deps,
    namers: buildNamers(deps),
    routes: createResourceRoutes(),
    sharedCalls: new Map(),
    nextForwardedId: 1,
  };

  const refreshNames = (): void => {
    ctx.namers = buildNamers(deps);
  };

  const backendEvents: BackendEvents = {
    onServerRequest: (backend, sessionId, request) => routeServerRequest(ctx, backend, sessionId, request),
    onNotification: (backend, sessionId, notification) => deliverBackendNotification(ctx, backend, sessionId, notification),
    onStateChange: (backend, status) => {
      deps.metrics.setBackendUp(backend, status.state === 'up');
      if (status.state !== 'up') ctx.routes.forget(backend);
      refreshNames();
      announceListsChanged(ctx);
    },
    onCatalogChange: () => refreshNames(),
  };

  const handleClientNotification = (session: ClientSession, notification: JSONRPCNotification): void => {
    switch (notification.method) {
      case 'notifications/initialized':
        session.initialized = true;
        return;
      case 'notifications/cancelled': {
        const requestId = (notification.params as { requestId?: unknown } | undefined)?.requestId;
        if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
        const call = session.inflight.get(idKey(requestId));
        if (!call) return;
        call.abort.abort();
        if (call.backend) recordNotification(ctx, session, call.backend, notification.method, 'to_backend');
        return;
      }
      default:
        // Client roots are never forwarded (backends get roots from config); other client notifications have no
        // backend to go to.
        deps.logger.debug('client notification dropped', { method: notification.method });
    }
  };

  return {
    backendEvents,
    handleMessage(session, message, origin) {
      session.lastActivity = Date.now();
      if (isRequest(message)) {
        handleClientRequest(ctx, session, message, origin).catch((error: unknown) => {
          deps.logger.error('request handling failed', { method: message.method, error });
        });
      } else if (isNotification(message)) {
        handleClientNotification(session, message);
      } else if (isResponse(message) && message.id !== undefined) {
        session.forwarded.get(idKey(message.id))?.settle(message);
      }
    },
    async closeSession(session) {
      if (session.closed) return;
      session.closed = true;
      deps.onSessionClosed?.(session.id);
      for (const call of session.inflight.values()) call.abort.abort();
      for (const forwarded of session.forwarded.values()) {
        forwarded.settle({ jsonrpc: '2.0', id: 0, error: { code: -32603, message: 'Client session closed' } });
      }
      await Promise.all([...session.backends].map((id) => deps.backends.get(id)?.release(session.id)));
    },
    inflightCount() {
      let count = 0;
      for (const session of deps.sessions.all()) count += session.inflight.size;
      return count;
    },
  };
}

function buildNamers(deps: RouterDeps): RouterContext['namers'] {
  const tools = new Map<string, readonly string[] | undefined>();
  const prompts = new Map<string, readonly string[] | undefined>();
  for (const [id, backend] of deps.backends) {
    const up = backend.status().state === 'up';
    tools.set(id, up ? backend.catalog().tools : undefined);
    prompts.set(id, up ? backend.catalog().prompts : undefined);
  }
  const mode = deps.prefixMode;
  return { tools: createNamer(mode, tools), prompts: createNamer(mode, prompts) };
}
