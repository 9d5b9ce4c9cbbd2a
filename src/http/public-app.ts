/** The public listener (DESIGN.md §4): the MCP endpoint, agent-to-agent messages and /healthz. */
import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { Logger } from '../observability/logger.js';
import type { AddressResolver, AddressedUrl } from './client-address.js';
import type { McpEndpoint } from './mcp-endpoint.js';
import { type MessagesRoutesOptions, createMessagesRoutes } from './messages-routes.js';
import { readIncomingCapped } from './read-body.js';

export interface Health {
  readonly httpStatus: 200 | 503;
  readonly body: Record<string, unknown>;
}

export interface PublicAppOptions {
  readonly mcp: McpEndpoint;
  /** `/v1/messages` (the address resolver is this app's). */
  readonly messages: Omit<MessagesRoutesOptions, 'resolveAddress' | 'addressedUrl'>;
  readonly resolveAddress: AddressResolver;
  readonly addressedUrl: AddressedUrl;
  readonly health: () => Health;
  readonly logger: Logger;
}

export function createPublicApp(options: PublicAppOptions): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all('/mcp', (c) => {
    const { incoming, outgoing } = c.env;
    const source = options.resolveAddress(incoming.socket.remoteAddress, c.req.header('x-forwarded-for') ?? null);
    return options.mcp.handle(c.req.raw, {
      source,
      url: options.addressedUrl(incoming.socket.remoteAddress, c.req.url, c.req.header('x-forwarded-host') ?? null),
      readBody: (maxBytes) => readIncomingCapped(incoming, maxBytes),
      // `close` before the response finished means the client went away mid-call.
      onGone: (callback) => outgoing.once('close', () => outgoing.writableFinished || callback()),
    });
  });
  app.route(
    '/v1/messages',
    createMessagesRoutes({ ...options.messages, resolveAddress: options.resolveAddress, addressedUrl: options.addressedUrl }),
  );
  app.get('/healthz', (c) => {
    const health = options.health();
    return c.json(health.body, health.httpStatus);
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    // A bug at the edge: answer without detail (the log has it), keep serving.
    options.logger.error('unhandled error in public listener', { error });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
