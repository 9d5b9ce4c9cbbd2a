/**
 * `POST|GET /v1/messages` (DESIGN.md §1, §4): the HTTP edge of agent-to-agent messages. Checks in /mcp's order —
 * body size (413) first, then origin/host (403), Content-Type (415) — and hands the rest to the message service,
 * which validates the message, runs the pipeline and answers.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { type MessageAnswer, problemAnswer } from '../messages/answers.js';
import type { MessageRequest, MessageService } from '../messages/message-service.js';
import type { AddressResolver, AddressedUrl } from './client-address.js';
import { type OriginPolicy, isAllowedRequest } from './origin-check.js';
import { readIncomingCapped } from './read-body.js';
import { TRANSPORT_ERRORS } from './transport-errors.js';

export interface MessagesRoutesOptions {
  readonly service: MessageService;
  /** `server.max_body_bytes`. */
  readonly maxBodyBytes: number;
  readonly originPolicy: OriginPolicy;
  readonly resolveAddress: AddressResolver;
  readonly addressedUrl: AddressedUrl;
}

type Env = { Bindings: HttpBindings };

/** The routes, to mount at `/v1/messages`. */
export function createMessagesRoutes(options: MessagesRoutesOptions): Hono<Env> {
  const app = new Hono<Env>();
  app.post('/', async (c) => {
    const body = await readIncomingCapped(c.env.incoming, options.maxBodyBytes);
    if (!body.ok) return respond(problemAnswer(TRANSPORT_ERRORS.body_too_large));
    if (!originAllowed(options, c)) return respond(problemAnswer(TRANSPORT_ERRORS.forbidden_origin));
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') return respond(problemAnswer(TRANSPORT_ERRORS.unsupported_media_type));
    return respond(await options.service.send(requestOf(options, c, 'POST', body.text)));
  });
  app.get('/', async (c) => {
    if (!originAllowed(options, c)) return respond(problemAnswer(TRANSPORT_ERRORS.forbidden_origin));
    return respond(await options.service.read(requestOf(options, c, 'GET', '')));
  });
  app.all('/', () =>
    respond({
      status: 405,
      body: { error: { code: -32600, message: 'Method Not Allowed: use GET or POST' } },
      headers: { allow: 'GET, POST' },
    }),
  );
  return app;
}

function originAllowed(options: MessagesRoutesOptions, c: Context<Env>): boolean {
  return isAllowedRequest(options.originPolicy, c.req.header('host'), c.req.header('origin'));
}

function requestOf(
  options: MessagesRoutesOptions,
  c: Context<Env>,
  method: 'GET' | 'POST',
  body: string,
): MessageRequest {
  return {
    method,
    url: options.addressedUrl(c.env.incoming.socket.remoteAddress, c.req.url, c.req.header('x-forwarded-host') ?? null),
    // Header names of a web Headers object are lower case, as the pipeline's context wants them.
    headers: Object.fromEntries(c.req.raw.headers.entries()),
    body,
    source: options.resolveAddress(c.env.incoming.socket.remoteAddress, c.req.header('x-forwarded-for') ?? null),
  };
}

function respond(answer: MessageAnswer): Response {
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    // An inbox is private: no cache along the way may keep a copy.
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...answer.headers },
  });
}
