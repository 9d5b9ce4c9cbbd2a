/**
 * The floor of the gateway's front-end stack, run as a child process (`node --import tsx bench/lib/floor-server.ts
 * [port]`, or env PORT; 0 or nothing picks a free port): hono + @hono/node-server + one SDK
 * WebStandardStreamableHTTPServerTransport per session, answering `initialize` and `tools/call` (echo) at once from
 * `onmessage`. No McpServer, no backend hop, no pipeline, no audit: what the stack alone costs per call.
 * Prints "listening <port>" on stderr once it accepts connections.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();

/** The answer to a request, or undefined for a method the floor does not serve. */
function resultFor(request: JSONRPCRequest): Record<string, unknown> | undefined {
  const params = (request.params ?? {}) as Record<string, unknown>;
  switch (request.method) {
    case 'initialize': {
      const asked = params.protocolVersion;
      const supported = typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked);
      return {
        protocolVersion: supported ? asked : LATEST_PROTOCOL_VERSION,
        capabilities: { tools: {} },
        serverInfo: { name: 'portcullis-bench-floor', version: '1' },
      };
    }
    case 'tools/call': {
      const args = (params.arguments ?? {}) as Record<string, unknown>;
      return { content: [{ type: 'text', text: `Echo: ${String(args.message)}` }] };
    }
    default:
      return undefined;
  }
}

function openTransport(): WebStandardStreamableHTTPServerTransport {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => void transports.set(id, transport),
    onsessionclosed: (id) => void transports.delete(id),
  });
  transport.onmessage = (message: JSONRPCMessage) => {
    if (!isJSONRPCRequest(message)) return; // notifications (and responses) need no answer
    const result = resultFor(message);
    const answer: JSONRPCMessage =
      result === undefined
        ? { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `Method not found: ${message.method}` } }
        : { jsonrpc: '2.0', id: message.id, result };
    transport.send(answer).catch((error: unknown) => process.stderr.write(`floor: send failed: ${String(error)}\n`));
  };
  return transport;
}

const app = new Hono();
app.all('/mcp', (c) => {
  const sessionId = c.req.header('mcp-session-id');
  if (sessionId === undefined) return openTransport().handleRequest(c.req.raw);
  const transport = transports.get(sessionId);
  if (transport === undefined)
    return c.json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }, 404);
  return transport.handleRequest(c.req.raw);
});

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`floor: bad port ${String(port)}`);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info: AddressInfo) => {
  process.stderr.write(`listening ${info.port}\n`);
});
