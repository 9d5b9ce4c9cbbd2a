import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JSONRPCMessage } from '../mcp/jsonrpc.js';
import { LostRequestError, createHttpClientTransport } from './http-transport.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
let handler: Handler = () => undefined;
const seenHeaders: http.IncomingHttpHeaders[] = [];
let server: http.Server;
let url: URL;
const agent = new http.Agent({ keepAlive: true });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seenHeaders.push(req.headers);
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function open(maxResponseBytes = 1_000_000) {
  const transport = createHttpClientTransport(url, { headers: { authorization: 'Bearer backend-token' }, agent, maxResponseBytes });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = (e) => errors.push(e);
  return { transport, messages, errors };
}
const request = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: {} };

describe('createHttpClientTransport', () => {
  it('reads a JSON answer and keeps the session id the backend assigned', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ok: true } }));
    };
    const { transport, messages } = open();
    await transport.send(request);
    await vi.waitFor(() => expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, result: { ok: true } }]));
    expect(transport.sessionId).toBe('sess-1');
    transport.setProtocolVersion('2025-06-18');
    handler = (_req, res) => res.writeHead(202).end();
    await transport.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    const last = seenHeaders.at(-1);
    expect(last).toMatchObject({ 'mcp-session-id': 'sess-1', 'mcp-protocol-version': '2025-06-18', authorization: 'Bearer backend-token' });
    await transport.close();
  });

  it('reads notifications and the answer from an event stream', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1}}\n\n');
      res.end('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
    };
    const { transport, messages, errors } = open();
    await transport.send(request);
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(errors).toEqual([]);
    await transport.close();
  });

  it('reports a request lost when the stream ends without its answer', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(': nothing\n\n');
    };
    const { transport, errors } = open();
    await transport.send(request);
    await vi.waitFor(() => expect(errors[0]).toBeInstanceOf(LostRequestError));
    expect((errors[0] as LostRequestError).requestId).toBe(1);
    await transport.close();
  });

  it('resumes a stream closed early with GET and Last-Event-ID (SEP-1699)', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.method === 'POST') return void res.end('id: ev-1\nretry: 10\ndata: \n\n');
      expect(req.headers['last-event-id']).toBe('ev-1');
      res.end('id: ev-2\ndata: {"jsonrpc":"2.0","id":1,"result":{"resumed":true}}\n\n');
    };
    const { transport, messages, errors } = open();
    await transport.send(request);
    await vi.waitFor(() => expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, result: { resumed: true } }]));
    expect(errors).toEqual([]);
    await transport.close();
  });

  it('fails a send on an HTTP error status', async () => {
    handler = (_req, res) => res.writeHead(500).end('oops');
    const { transport } = open();
    await expect(transport.send(request)).rejects.toThrow(/HTTP 500/);
    await transport.close();
  });

  it('cuts off an answer larger than the bound and reports the request lost', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { big: 'x'.repeat(5_000) } }));
    };
    const { transport, messages, errors } = open(1_000);
    await transport.send(request);
    await vi.waitFor(() => expect(errors[0]?.message).toMatch(/larger than 1000/));
    expect(messages).toEqual([]);
    await transport.close();
  });

  it('reports invalid JSON as a lost request, not a crash', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
    const { transport, errors } = open();
    await transport.send(request);
    await vi.waitFor(() => expect(errors[0]?.message).toMatch(/invalid JSON/));
    await transport.close();
  });

  it('refuses to send after close, and calls onclose once', async () => {
    const { transport } = open();
    const onclose = vi.fn();
    transport.onclose = onclose;
    await transport.close();
    await transport.close();
    expect(onclose).toHaveBeenCalledTimes(1);
    await expect(transport.send(request)).rejects.toThrow(/closed/);
  });
});
