/**
 * The Streamable HTTP MCP endpoint (`POST|GET|DELETE /mcp`). Checks happen in the contract's order (DESIGN.md §2):
 * body size (413) first, then origin/host, Accept (406), Content-Type (415), JSON (400/-32700), JSON-RPC shape
 * (400/-32600), session (404 unknown, 503 when `sessions.max` is reached). A message that passes is handed to the
 * session's SDK transport, which carries it to the router.
 */
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Logger } from '../observability/logger.js';
import type { ClientSession } from '../mcp/client-session.js';
import { createClientSession } from '../mcp/client-session.js';
import type { JSONRPCMessage } from '../mcp/jsonrpc.js';
import type { HttpFacts } from '../pipeline/types.js';
import type { Router } from '../mcp/router.js';
import type { SessionRegistry } from '../mcp/session-registry.js';
import { type OriginPolicy, isAllowedRequest } from './origin-check.js';
import { type BodyResult, readBodyCapped } from './read-body.js';
import { denialResponse, transportErrorResponse } from './transport-errors.js';

export interface McpEndpointOptions {
  readonly maxBodyBytes: number;
  readonly originPolicy: OriginPolicy;
  readonly sessions: SessionRegistry;
  readonly router: Router;
  readonly logger: Logger;
  readonly isDraining: () => boolean;
  /** Called when a session opens or closes, to keep gauges current. */
  readonly onSessionCountChange: (count: number) => void;
  /**
   * Checks a bodiless GET (stream) or DELETE (end session) on a session: signed by the session's agent when signatures
   * are required. POSTs are checked by the pipeline's verify-signature stage instead.
   */
  readonly authorizeSessionRequest: (request: Request, session: ClientSession, addressedUrl: string) => boolean;
}

/** Who is calling, as the HTTP edge sees it, and the edge's handles on the raw request. */
export interface Caller {
  readonly source: string;
  /** The URL the client addressed (behind a trusted proxy, with X-Forwarded-Host): what a signature covers. */
  readonly url?: string;
  /** Reads the body up to a limit (default: through the web Request). */
  readonly readBody?: (maxBytes: number) => Promise<BodyResult>;
  /** Registers a callback for when the client goes away before its answer was sent. */
  readonly onGone?: (callback: () => void) => void;
}

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SESSION_KEY = Symbol('portcullis-session');

interface TransportWithSession extends WebStandardStreamableHTTPServerTransport {
  [SESSION_KEY]?: ClientSession;
}

export interface McpEndpoint {
  handle(request: Request, caller: Caller): Promise<Response>;
  /** Closes a session's transport (idle expiry, shutdown). */
  closeSession(session: ClientSession): Promise<void>;
}

export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const transports = new Map<string, TransportWithSession>();
  let initializing = 0;

  const endSession = (transport: TransportWithSession): void => {
    const session = transport[SESSION_KEY];
    if (!session || session.closed) return;
    transports.delete(session.id);
    options.sessions.remove(session.id);
    options.onSessionCountChange(options.sessions.size);
    void options.router.closeSession(session);
  };

  const openTransport = (caller: Caller, agent: string): TransportWithSession => {
    const transport: TransportWithSession = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        const port = {
          send: (message: JSONRPCMessage, relatedRequestId?: string | number) =>
            transport.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }),
          close: () => transport.close(),
        };
        const session = createClientSession({ id, port, agent, verified: false, source: caller.source });
        transport[SESSION_KEY] = session;
        transports.set(id, transport);
        options.sessions.add(session);
        options.onSessionCountChange(options.sessions.size);
      },
    });
    transport.onmessage = (message, extra) => {
      const session = transport[SESSION_KEY];
      if (!session) return;
      const edge = extra?.authInfo?.extra as { onGone?: Caller['onGone']; http?: HttpFacts } | undefined;
      const headers = extra?.requestInfo?.headers as Record<string, string>;
      options.router.handleMessage(session, message, { headers, onGone: edge?.onGone, http: edge?.http });
    };
    transport.onclose = () => endSession(transport);
    transport.onerror = (error) => options.logger.debug('client transport error', { error });
    return transport;
  };

  const handlePost = async (request: Request, caller: Caller): Promise<Response> => {
    const body = await (caller.readBody ? caller.readBody(options.maxBodyBytes) : readBodyCapped(request, options.maxBodyBytes));
    if (!body.ok) return transportErrorResponse('body_too_large');
    if (!originAllowed(options, request)) return transportErrorResponse('forbidden_origin');
    const accept = request.headers.get('accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return transportErrorResponse('not_acceptable');
    const contentType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') return transportErrorResponse('unsupported_media_type');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return transportErrorResponse('parse_error');
    }
    // Batches were removed from MCP in 2025-06-18; refusing them keeps one message = one pipeline run = one row.
    if (Array.isArray(parsed)) return transportErrorResponse('batch_unsupported');
    // A cheap shape check for the -32600 answer; the SDK transport then validates against its schema.
    if (!looksLikeJsonRpc(parsed)) return transportErrorResponse('invalid_request');

    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId !== null) {
      const transport = transports.get(sessionId);
      if (!transport) return transportErrorResponse('session_not_found');
      return transport.handleRequest(request, { parsedBody: parsed, authInfo: authInfoFor(caller, request, body.text) });
    }
    if (!isInitializeRequest(parsed)) return transportErrorResponse('session_required');
    if (options.isDraining()) return transportErrorResponse('shutting_down');
    const agent = request.headers.get('x-portcullis-agent') ?? 'anonymous';
    if (!AGENT_NAME.test(agent)) return transportErrorResponse('bad_agent_name');
    // Sessions still initializing count too, so a burst of initialize requests cannot overshoot the bound.
    if (options.sessions.size + initializing >= options.sessions.max) return transportErrorResponse('too_many_sessions');
    initializing++;
    try {
      const transport = openTransport(caller, agent);
      return await transport.handleRequest(request, { parsedBody: parsed, authInfo: authInfoFor(caller, request, body.text) });
    } finally {
      initializing--;
    }
  };

  return {
    async handle(request, caller) {
      if (request.method === 'POST') return handlePost(request, caller);
      if (!originAllowed(options, request)) return transportErrorResponse('forbidden_origin');
      const sessionId = request.headers.get('mcp-session-id');
      if (sessionId === null) return transportErrorResponse('session_required');
      const transport = transports.get(sessionId);
      const session = transport?.[SESSION_KEY];
      if (!transport || !session) return transportErrorResponse('session_not_found');
      if (!options.authorizeSessionRequest(request, session, caller.url ?? request.url)) return denialResponse('bad_signature');
      return transport.handleRequest(request);
    },
    async closeSession(session) {
      const transport = transports.get(session.id);
      if (transport) await transport.close();
      else await options.router.closeSession(session);
    },
  };
}

function originAllowed(options: McpEndpointOptions, request: Request): boolean {
  return isAllowedRequest(options.originPolicy, request.headers.get('host') ?? undefined, request.headers.get('origin') ?? undefined);
}

/**
 * The SDK hands `authInfo` to `onmessage`: the one per-request slot, so the disconnect hook and the raw request
 * (which signature verification covers) ride there.
 */
function authInfoFor(caller: Caller, request: Request, body: string): AuthInfo {
  const http: HttpFacts = { method: request.method, url: caller.url ?? request.url, body };
  return { token: '', clientId: '', scopes: [], extra: { onGone: caller.onGone, http } };
}

/** A JSON-RPC 2.0 request, notification or response, by shape. */
export function looksLikeJsonRpc(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  const id = message.id;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (typeof message.method === 'string') {
    const params = message.params;
    const validParams = params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params));
    return validParams && (id === undefined || validId);
  }
  return validId && ('result' in message || 'error' in message);
}
