/**
 * A backend's requests to a client (sampling, elicitation), routed to the right client session (DESIGN.md §1): on a
 * per-session channel, that session; on a shared channel, the one session with a call in flight on that backend —
 * refused when none or several could have caused it, so one client's model is never asked on another's behalf.
 */
import { denialError } from '../pipeline/deny-reasons.js';
import type { ClientSession } from './client-session.js';
import { type Answer, type JSONRPCMessage, type JSONRPCRequest, type RequestId, idKey } from './jsonrpc.js';
import { type RouterContext, sendToClient } from './router-context.js';

/** How long a forwarded request may wait for the client (a person may be answering an elicitation). */
const CLIENT_ANSWER_TIMEOUT_MS = 10 * 60_000;

/** Requests a client must announce a capability for. */
const REQUIRED_CAPABILITY: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
};

export async function routeServerRequest(
  ctx: RouterContext,
  backend: string,
  sessionId: string | undefined,
  request: JSONRPCRequest,
): Promise<Answer> {
  const route = findRoute(ctx, backend, sessionId);
  if (!route) return { error: { code: -32603, message: `No single client session to route ${request.method} to` } };
  const capability = REQUIRED_CAPABILITY[request.method];
  if (capability !== undefined && !(capability in route.session.clientCapabilities)) {
    return { error: { code: -32601, message: `Client does not support ${capability}` } };
  }
  if (request.method === 'sampling/createMessage') {
    const screened = ctx.screen.sampling(backend, request.params ?? {}, route.session.agent);
    if (screened.blocked) return { error: denialError('rule_blocked', { rules: screened.rules }) };
  }
  const id = `portcullis-${ctx.nextForwardedId++}`;
  return new Promise<Answer>((resolve) => {
    const timer = setTimeout(() => finish({ error: { code: -32603, message: 'Client did not answer in time' } }), CLIENT_ANSWER_TIMEOUT_MS);
    const finish = (answer: Answer): void => {
      clearTimeout(timer);
      route.session.forwarded.delete(idKey(id));
      resolve(answer);
    };
    route.session.forwarded.set(idKey(id), {
      backend,
      settle: (message) => finish(answerFromClient(message)),
    });
    void sendToClient(ctx, route.session, { ...request, id }, route.relatedRequestId).then((sent) => {
      if (!sent) finish({ error: { code: -32603, message: 'Client session is gone' } });
    });
  });
}

function answerFromClient(message: JSONRPCMessage): Answer {
  if ('error' in message) return { error: message.error };
  if ('result' in message) return { result: message.result as Record<string, unknown> };
  return { error: { code: -32603, message: 'Client sent no answer' } };
}

function findRoute(
  ctx: RouterContext,
  backend: string,
  sessionId: string | undefined,
): { session: ClientSession; relatedRequestId: RequestId | undefined } | undefined {
  if (sessionId !== undefined) {
    const session = ctx.sessions.get(sessionId);
    if (!session) return undefined;
    const calls = [...session.inflight.values()].filter((call) => call.backend === backend);
    return { session, relatedRequestId: calls.length === 1 ? calls[0]?.id : undefined };
  }
  const calls = [...(ctx.sharedCalls.get(backend)?.values() ?? [])];
  const sessions = new Set(calls.map((call) => call.session));
  if (sessions.size !== 1) return undefined;
  const mine = calls.filter((call) => call.session === calls[0]?.session);
  const first = mine[0];
  return first ? { session: first.session, relatedRequestId: mine.length === 1 ? first.requestId : undefined } : undefined;
}
