/**
 * Notifications from backends, delivered to the client sessions they concern: a per-session channel's to its
 * session; a shared channel's to every session (list changes, log messages) or to the sessions subscribed to a
 * resource. The gateway's own list changes (a backend came or went) are announced to every session.
 */
import type { ClientSession } from './client-session.js';
import type { JSONRPCNotification } from './jsonrpc.js';
import { recordNotification } from './notification-audit.js';
import { type RouterContext, sendToClient } from './router-context.js';

export function deliverBackendNotification(
  ctx: RouterContext,
  backend: string,
  sessionId: string | undefined,
  notification: JSONRPCNotification,
): void {
  const candidates = sessionId === undefined ? [...ctx.sessions.all()] : [ctx.sessions.get(sessionId)].filter((s) => s !== undefined);
  const targets = candidates.filter((session) => concerns(session, notification));
  if (notification.method.endsWith('/list_changed')) ctx.routes.forget(backend);
  for (const session of targets) {
    void sendToClient(ctx, session, notification);
    recordNotification(ctx, session, backend, notification.method, 'to_client');
  }
}

function concerns(session: ClientSession, notification: JSONRPCNotification): boolean {
  if (!session.initialized || session.closed) return false;
  if (notification.method === 'notifications/resources/updated') {
    const uri = (notification.params as { uri?: unknown } | undefined)?.uri;
    return typeof uri === 'string' && session.subscriptions.has(uri);
  }
  if (notification.method === 'notifications/cancelled') return false; // handled by the forwarded-request map
  return true;
}

/** Tells every session that the aggregated lists changed (a backend came up or went down). */
export function announceListsChanged(ctx: RouterContext): void {
  for (const session of ctx.sessions.all()) {
    if (!session.initialized || session.closed) continue;
    for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed']) {
      void sendToClient(ctx, session, { jsonrpc: '2.0', method });
    }
  }
}
