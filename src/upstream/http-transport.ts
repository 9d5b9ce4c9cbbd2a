/**
 * A lean Streamable HTTP client transport for backends, implementing the MCP SDK's `Transport` interface over
 * node:http with keep-alive. The SDK's own client transport builds several web streams per call, which cost about
 * 2.5 ms of CPU per call on Node 20 (measured: bench/RESULTS.md); this one parses SSE incrementally on plain strings.
 * It sends exactly the configured headers plus the protocol's own (session id, protocol version): client credentials
 * never reach a backend. Bounded: responses over `maxResponseBytes` are cut off and reported.
 */
import http from 'node:http';
import https from 'node:https';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '../mcp/jsonrpc.js';
import { createSseParser } from './sse-parser.js';

/** A request whose answer can no longer arrive (its stream broke): the channel settles it as unavailable. */
export class LostRequestError extends Error {
  override readonly name = 'LostRequestError';
  constructor(readonly requestId: string | number, detail: string) {
    super(detail);
  }
}

export interface HttpTransportOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly agent: http.Agent;
  readonly maxResponseBytes: number;
}

export interface HttpClientTransport extends Transport {
  setProtocolVersion(version: string): void;
  terminateSession(): Promise<void>;
}

const GET_STREAM_RETRIES = 3;
const GET_STREAM_OPEN_WAIT_MS = 2_000;
/** How often one call's stream may be resumed, and the longest `retry:` delay honoured. */
const MAX_RESUMES = 5;
const MAX_RESUME_DELAY_MS = 5_000;

export function createHttpClientTransport(url: URL, options: HttpTransportOptions): HttpClientTransport {
  const client = url.protocol === 'https:' ? https : http;
  const inflight = new Set<http.ClientRequest>();
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let closed = false;
  let getStream: http.ClientRequest | undefined;

  const headers = (accept: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...options.headers,
    accept,
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...(protocolVersion ? { 'mcp-protocol-version': protocolVersion } : {}),
    ...extra,
  });

  const request = (method: string, head: Record<string, string>, body?: string): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error('transport closed'));
      const req = client.request(url, { method, headers: head, agent: options.agent }, resolve);
      inflight.add(req);
      req.once('close', () => inflight.delete(req));
      req.once('error', reject);
      req.end(body);
    });

  /**
   * Reads a response body as JSON or SSE, delivering each message. An event stream that ends before answering its
   * requests is resumed with GET + Last-Event-ID when the server gave event ids (MCP 2025-11-25, SEP-1699); the
   * requests still unanswered after that are reported lost.
   */
  const consume = async (res: http.IncomingMessage, expected: Set<string | number>): Promise<void> => {
    let current = res;
    for (let resumes = 0; ; resumes++) {
      const ended = await readStream(current, expected);
      if (expected.size === 0 || closed) return;
      if (ended.kind === 'failed' || ended.lastEventId === undefined || resumes >= MAX_RESUMES) {
        return reportLost(expected, ended.kind === 'failed' ? ended.detail : 'backend closed the stream before answering');
      }
      await new Promise((r) => setTimeout(r, Math.min(ended.retryMs ?? 0, MAX_RESUME_DELAY_MS)));
      const resumed = await request('GET', headers('text/event-stream', { 'last-event-id': ended.lastEventId })).catch(() => undefined);
      if (!resumed || resumed.statusCode !== 200) {
        resumed?.resume();
        return reportLost(expected, 'backend stream could not be resumed');
      }
      current = resumed;
    }
  };

  const reportLost = (expected: Set<string | number>, detail: string): void => {
    for (const id of expected) transport.onerror?.(new LostRequestError(id, detail));
    expected.clear();
  };

  type Ended = { kind: 'ended'; lastEventId: string | undefined; retryMs: number | undefined } | { kind: 'failed'; detail: string };

  const readStream = (res: http.IncomingMessage, expected: Set<string | number>): Promise<Ended> =>
    new Promise((resolve) => {
      res.setEncoding('utf8');
      const isSse = (res.headers['content-type'] ?? '').includes('text/event-stream');
      let size = 0;
      let json = '';
      let settled = false;
      const finish = (ended: Ended): void => {
        if (settled) return;
        settled = true;
        if (ended.kind === 'failed') res.destroy();
        resolve(ended);
      };
      const deliver = (text: string): void => {
        const parsed = JSON.parse(text) as JSONRPCMessage | JSONRPCMessage[];
        for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
          if ('id' in message && !('method' in message) && message.id !== undefined) expected.delete(message.id);
          transport.onmessage?.(message);
        }
      };
      const parser = createSseParser((event) => {
        if (event.event === 'message' && event.data.trim() !== '') deliver(event.data);
      }, options.maxResponseBytes);
      res.on('data', (chunk: string) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) return finish({ kind: 'failed', detail: `response larger than ${options.maxResponseBytes} bytes` });
        try {
          if (isSse) parser.push(chunk);
          else json += chunk;
        } catch (error) {
          finish({ kind: 'failed', detail: `unreadable answer: ${(error as Error).message}` });
        }
      });
      res.once('end', () => {
        try {
          if (!isSse && json.trim() !== '') deliver(json);
        } catch {
          return finish({ kind: 'failed', detail: 'backend answered with invalid JSON' });
        }
        finish({ kind: 'ended', lastEventId: parser.lastEventId, retryMs: parser.retryMs });
      });
      res.once('error', (error) => finish({ kind: 'failed', detail: `stream broke: ${error.message}` }));
    });

  /**
   * Opens the backend's own stream (its requests and notifications outside a call). Resolves once the backend has
   * answered the GET, so the session is not used before the stream exists: a backend drops what it cannot deliver.
   */
  const openGetStream = async (attempt = 0): Promise<void> => {
    if (closed || !sessionId) return;
    let res: http.IncomingMessage;
    try {
      res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = client.request(url, { method: 'GET', headers: headers('text/event-stream'), agent: options.agent }, resolve);
        getStream = req;
        req.once('error', reject);
        req.end();
      });
    } catch (error) {
      if (!closed) transport.onerror?.(error as Error);
      return;
    }
    if (res.statusCode !== 200) {
      res.resume();
      return; // 405: the backend offers no standalone stream
    }
    void consume(res, new Set()).then(() => {
      if (!closed && attempt < GET_STREAM_RETRIES) setTimeout(() => void openGetStream(attempt + 1), 500 * 2 ** attempt).unref();
    });
  };

  /** Waits for the stream to open, but never longer than this: a backend that holds the GET must not stall setup. */
  const openGetStreamBounded = (): Promise<void> =>
    Promise.race([openGetStream(), new Promise<void>((resolve) => setTimeout(resolve, GET_STREAM_OPEN_WAIT_MS).unref())]);

  const transport: HttpClientTransport = {
    get sessionId() {
      return sessionId;
    },
    async start() {
      // Nothing to open: the first POST starts the session.
    },
    async send(message: JSONRPCMessage, _options?: TransportSendOptions) {
      const body = JSON.stringify(message);
      const res = await request('POST', headers('application/json, text/event-stream', { 'content-type': 'application/json' }), body);
      const assigned = res.headers['mcp-session-id'];
      if (typeof assigned === 'string' && sessionId === undefined) sessionId = assigned;
      const status = res.statusCode ?? 0;
      // The backend's own stream (server→client requests, log messages, resource updates) opens once the session is
      // initialized; `notifications/initialized` is usually answered 202, so this must come before that return.
      if (status === 202 && 'method' in message && message.method === 'notifications/initialized') await openGetStreamBounded();
      if (status === 202) return void res.resume();
      if (status < 200 || status >= 300) {
        res.resume();
        throw new Error(status === 404 && sessionId ? 'backend session expired (HTTP 404)' : `backend answered HTTP ${status}`);
      }
      const expected = new Set<string | number>('id' in message && 'method' in message && message.id !== undefined ? [message.id] : []);
      void consume(res, expected);
    },
    async close() {
      if (closed) return;
      closed = true;
      getStream?.destroy();
      for (const req of inflight) req.destroy();
      transport.onclose?.();
    },
    setProtocolVersion(version) {
      protocolVersion = version;
    },
    async terminateSession() {
      if (!sessionId || closed) return;
      const res = await request('DELETE', headers('application/json')).catch(() => undefined);
      res?.resume();
    },
  };
  return transport;
}
