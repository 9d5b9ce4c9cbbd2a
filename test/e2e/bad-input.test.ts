/**
 * Transport-level bad input on /mcp, sent with raw fetch (the SDK would never send it): each gets the exact status and
 * JSON-RPC code of DESIGN.md §2 / src/http/transport-errors.ts, and after each one a normal call on a live session
 * still works.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../helpers/audit.js';
import { everythingStdio } from '../helpers/backends.js';
import {
  type JsonRpcReply,
  initializeRequest,
  nodeHttpRequest,
  openRawSession,
  rawPost,
  sessionHeaders,
} from '../helpers/client.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const MAX_BODY = 4096;

let gw: StartedGateway;
let live: string;
let nextId = 100;

function echoCall(message: string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name: 'everything__echo', arguments: { message } },
  };
}

/** A normal call on the live session: the gateway still serves. */
async function expectStillServing(): Promise<void> {
  const reply = await rawPost(gw.url, echoCall('still serving'), sessionHeaders(live));
  expect(reply.status).toBe(200);
  expect(JSON.stringify(reply.response?.result)).toContain('still serving');
}

/** A transport error: plain HTTP status, JSON body with a JSON-RPC error and a null id. */
function expectTransportError(
  reply: { status: number; response: JsonRpcReply | undefined },
  status: number,
  code: number,
): void {
  expect(reply.status).toBe(status);
  expect(reply.response?.error?.code).toBe(code);
  expect(reply.response?.id).toBeNull();
}

beforeAll(async () => {
  gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: `server: { max_body_bytes: ${MAX_BODY} }\nsessions: { max: 2 }\n`,
  });
  live = await openRawSession(gw.url);
});

afterAll(async () => {
  await gw?.stop();
});

afterEach(async () => {
  await expectStillServing();
});

describe('bad input on /mcp', () => {
  it('a normal call works (the control for every test below)', async () => {
    await expectStillServing();
  });

  it.each([
    ['with a good content type', 'application/json'],
    ['even with a bad content type', 'text/plain'],
  ])('a body over server.max_body_bytes gets 413, %s', async (_label, contentType) => {
    const body = JSON.stringify({ ...echoCall('x'.repeat(MAX_BODY)) });
    const reply = await rawPost(gw.url, body, { ...sessionHeaders(live), 'content-type': contentType });
    expectTransportError(reply, 413, -32600);
  });

  it('a body over server.max_body_bytes gets 413 before Accept is checked, and on initialize', async () => {
    const body = JSON.stringify({ ...initializeRequest(1), padding: 'x'.repeat(MAX_BODY) });
    const reply = await rawPost(gw.url, body, { accept: 'text/html', 'content-type': 'text/plain' });
    expectTransportError(reply, 413, -32600);
  });

  it('a streamed body without Content-Length that grows past the limit gets 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(gw.url, {
      method: 'POST',
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...sessionHeaders(live),
      },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    await response.body?.cancel();
  });

  it('malformed JSON gets 400 and -32700', async () => {
    const reply = await rawPost(gw.url, '{"jsonrpc": "2.0", "id": 1, "method": ', sessionHeaders(live));
    expectTransportError(reply, 400, -32700);
  });

  it.each([
    ['an object without jsonrpc', { hello: 'world' }],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['a method that is not a string', { jsonrpc: '2.0', id: 1, method: 42 }],
    ['a string', 'just a string'],
    ['a number', 12345],
  ])('valid JSON that is not JSON-RPC (%s) gets 400 and -32600', async (_label, value) => {
    const reply = await rawPost(gw.url, JSON.stringify(value), sessionHeaders(live));
    expectTransportError(reply, 400, -32600);
  });

  it('a batch (JSON array) gets 400 and -32600', async () => {
    const reply = await rawPost(gw.url, [echoCall('a'), echoCall('b')], sessionHeaders(live));
    expectTransportError(reply, 400, -32600);
  });

  it.each([
    ['no Accept header', null],
    ['Accept: application/json only', 'application/json'],
    ['Accept: text/event-stream only', 'text/event-stream'],
  ])('%s gets 406', async (_label, accept) => {
    const reply = await rawPost(gw.url, echoCall('x'), { ...sessionHeaders(live), accept });
    expectTransportError(reply, 406, -32600);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no Content-Type', null],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ])('Content-Type %s gets 415', async (_label, contentType) => {
    const reply = await rawPost(gw.url, JSON.stringify(echoCall('x')), {
      ...sessionHeaders(live),
      'content-type': contentType,
    });
    expectTransportError(reply, 415, -32600);
  });

  it('an unknown session id gets 404', async () => {
    const reply = await rawPost(gw.url, echoCall('x'), sessionHeaders('00000000-0000-4000-8000-000000000000'));
    expectTransportError(reply, 404, -32001);
  });

  it('an unknown session id on GET and DELETE gets 404 too', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(gw.url, {
        method,
        headers: { accept: 'application/json, text/event-stream', ...sessionHeaders('no-such-session') },
      });
      expect(response.status, method).toBe(404);
      await response.body?.cancel();
    }
  });

  it('a non-initialize request without a session id gets 400', async () => {
    const reply = await rawPost(gw.url, echoCall('x'));
    expectTransportError(reply, 400, -32600);
  });

  it('an unknown method on a live session gets a JSON-RPC -32601 (HTTP 200)', async () => {
    const id = nextId++;
    const reply = await rawPost(
      gw.url,
      { jsonrpc: '2.0', id, method: 'no/such-method', params: {} },
      sessionHeaders(live),
    );
    expect(reply.status).toBe(200);
    expect(reply.response?.id).toBe(id);
    expect(reply.response?.error?.code).toBe(-32601);
  });

  const toolCall = (name: string) => ({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name, arguments: {} },
  });
  const ACL_DENIED = { error: { code: -32083, data: { reason: 'acl_denied' } } };

  it('a call under an unknown backend prefix gets -32083 acl_denied', async () => {
    const reply = await rawPost(gw.url, toolCall('nosuchbackend__echo'), sessionHeaders(live));
    expect(reply.status).toBe(200);
    expect(reply.response).toMatchObject(ACL_DENIED);
  });

  it('a call to an unknown tool of a known backend gets the same -32083 acl_denied error as an unknown backend', async () => {
    const unknownTool = await rawPost(gw.url, toolCall('everything__no-such-tool'), sessionHeaders(live));
    const unknownBackend = await rawPost(gw.url, toolCall('nosuchbackend__no-such-tool'), sessionHeaders(live));
    expect(unknownTool.status).toBe(200);
    expect(unknownTool.response).toMatchObject(ACL_DENIED);
    expect(unknownTool.response?.error).toEqual(unknownBackend.response?.error);
  });

  it('an unprefixed tool name gets -32083 acl_denied and is audited as a denial', async () => {
    const id = nextId++;
    const reply = await rawPost(
      gw.url,
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } },
      sessionHeaders(live),
    );
    expect(reply.response?.error?.code).toBe(-32083);
    expect(reply.response?.error?.data?.reason).toBe('acl_denied');
    const rows = await readAudit(gw.dbPath, { decision: 'deny' });
    const row = rows.find((r) => r.requestId === String(id));
    expect(row?.reason).toBe('acl_denied');
    expect(row?.forwarded).toBe(false);
  });

  it.each([
    ['evil.example', 403],
    ['evil.example:80', 403],
    ['127.0.0.1.evil.example', 403],
    ['localhost', 200],
  ])('Host: %s gets %i', async (host, status) => {
    const reply = await nodeHttpRequest(gw.url, {
      headers: {
        host,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...sessionHeaders(live),
      },
      body: JSON.stringify(echoCall('host check')),
    });
    expect(reply.status).toBe(status);
  });

  it.each([
    ['http://evil.example', 403],
    ['null', 403],
    ['http://localhost:3000', 200],
  ])('Origin: %s gets %i', async (origin, status) => {
    const reply = await rawPost(gw.url, echoCall('origin check'), { ...sessionHeaders(live), origin });
    expect(reply.status).toBe(status);
  });

  it('a foreign Origin is refused on initialize, GET and DELETE as well', async () => {
    const init = await rawPost(gw.url, initializeRequest(1), { origin: 'http://evil.example' });
    expect(init.status).toBe(403);
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(gw.url, {
        method,
        headers: { accept: 'text/event-stream', origin: 'http://evil.example', ...sessionHeaders(live) },
      });
      expect(response.status, method).toBe(403);
      await response.body?.cancel();
    }
  });

  it.each([['has spaces'], ['-leading-dash'], ['x'.repeat(65)], ['ümlaut']])(
    'an invalid X-Portcullis-Agent (%s) on initialize gets 400',
    async (agent) => {
      const reply = await rawPost(gw.url, initializeRequest(1), { 'x-portcullis-agent': agent });
      expectTransportError(reply, 400, -32600);
      expect(reply.headers.get('mcp-session-id')).toBeNull();
    },
  );

  it('sessions.max: 2 — a third initialize gets 503; closing one makes room again', async () => {
    const second = await openRawSession(gw.url);
    const third = await rawPost(gw.url, initializeRequest(1));
    expectTransportError(third, 503, -32600);
    expect(third.headers.get('mcp-session-id')).toBeNull();

    const closed = await fetch(gw.url, { method: 'DELETE', headers: sessionHeaders(second) });
    expect(closed.status).toBe(200);
    await closed.body?.cancel();
    const again = await openRawSession(gw.url);
    const bye = await fetch(gw.url, { method: 'DELETE', headers: sessionHeaders(again) });
    expect(bye.status).toBe(200);
    await bye.body?.cancel();
  });
});
