/**
 * Forwards a call that goes to one backend, relaying its progress notifications to the client's request stream.
 * A backend that is down, dies mid-call or does not answer within `timeout_s` is `backend_unavailable`; the
 * backend's own errors pass through unchanged.
 */
import { denialError } from '../pipeline/deny-reasons.js';
import type { ClientSession, InflightCall } from './client-session.js';
import { type Answer, type JSONRPCRequest, idKey } from './jsonrpc.js';
import { recordNotification } from './notification-audit.js';
import { type RouterContext, type SharedCall, linkOf, sendToClient } from './router-context.js';
import type { RoutedCall } from './targets.js';

/** The answer Portcullis gives a request whose client cancelled it (LSP's RequestCancelled; MCP defines none). */
const CANCELLED = { code: -32800, message: 'Request cancelled' } as const;

export async function forwardCall(
  ctx: RouterContext,
  session: ClientSession,
  call: InflightCall,
  request: JSONRPCRequest,
  routed: RoutedCall,
): Promise<{ answer: Answer; forwarded: boolean; detail?: string }> {
  const backend = ctx.backends.get(routed.target.backend);
  if (!backend) return { answer: { error: denialError('acl_denied') }, forwarded: false, detail: 'unknown backend' };
  const lookup = await backend.channelFor(linkOf(session));
  if (!lookup.ok) return { answer: { error: denialError('backend_unavailable') }, forwarded: false, detail: lookup.detail };
  session.backends.add(backend.id);

  const sharedKey = `${session.id}\u0000${idKey(request.id)}`;
  // Calls on a shared stdio process are remembered so its sampling/elicitation requests find their client.
  const shared = isShared(backend.config) ? sharedCallsOf(ctx, backend.id) : undefined;
  shared?.set(sharedKey, { session, requestId: request.id });
  try {
    const outcome = await lookup.channel.request(request.method, routed.params, {
      timeoutMs: backend.config.timeout_s * 1000,
      signal: call.abort.signal,
      onProgress: (params) => {
        void sendToClient(ctx, session, { jsonrpc: '2.0', method: 'notifications/progress', params: params as never }, request.id);
        recordNotification(ctx, session, backend.id, 'notifications/progress', 'to_client');
      },
    });
    switch (outcome.kind) {
      case 'answer':
        if ('result' in outcome.answer) trackSubscription(session, request.method, routed.target.name);
        return { answer: outcome.answer, forwarded: true };
      case 'cancelled':
        return { answer: { error: CANCELLED }, forwarded: true, detail: 'cancelled by the client' };
      case 'unavailable':
        backend.reportFailure();
        return { answer: { error: denialError('backend_unavailable') }, forwarded: true, detail: outcome.detail };
      default:
        return outcome satisfies never;
    }
  } finally {
    shared?.delete(sharedKey);
  }
}

function trackSubscription(session: ClientSession, method: string, uri: string): void {
  if (method === 'resources/subscribe') session.subscriptions.add(uri);
  if (method === 'resources/unsubscribe') session.subscriptions.delete(uri);
}

function isShared(config: { transport: string; per_session?: boolean }): boolean {
  return config.transport === 'stdio' && config.per_session !== true;
}

function sharedCallsOf(ctx: RouterContext, backend: string): Map<string, SharedCall> {
  let calls = ctx.sharedCalls.get(backend);
  if (!calls) {
    calls = new Map();
    ctx.sharedCalls.set(backend, calls);
  }
  return calls;
}
