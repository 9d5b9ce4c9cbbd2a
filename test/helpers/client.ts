/**
 * Clients for end-to-end tests: the real MCP SDK client over Streamable HTTP, and raw JSON-RPC posts for
 * transport-level input the SDK would never send.
 */
import { request as httpRequest } from 'node:http';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

export interface ConnectedClient {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** Connects an SDK client (initialize + initialized) to the gateway's MCP URL. */
export async function connectClient(
  url: string,
  options: { name?: string; capabilities?: ClientOptions['capabilities']; headers?: Record<string, string> } = {},
): Promise<ConnectedClient> {
  const client = new Client(
    { name: options.name ?? 'portcullis-e2e', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: options.headers ? { headers: options.headers } : undefined,
  });
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Every JSON-RPC message in the body (one for a JSON body, each `data:` line of an SSE body). */
  readonly messages: unknown[];
  /** The first message that is a response (has `result` or `error`), if any. */
  readonly response: JsonRpcReply | undefined;
}

export interface JsonRpcReply {
  readonly jsonrpc: '2.0';
  readonly id: string | number | null;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: number; message: string; data?: Record<string, unknown> };
}

export const MCP_ACCEPT = 'application/json, text/event-stream';

/**
 * POSTs `body` (a string is sent as is, anything else as JSON) with MCP's Accept and Content-Type unless
 * `headers` overrides them (a header set to null is removed).
 */
export async function rawPost(
  url: string,
  body: unknown,
  headers: Record<string, string | null> = {},
  init: { signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const merged: Record<string, string | null> = {
    accept: MCP_ACCEPT,
    'content-type': 'application/json',
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const sent = Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  const response = await fetch(url, {
    method: 'POST',
    headers: sent,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
  const text = await response.text();
  const messages = parseBody(text, response.headers.get('content-type') ?? '');
  const reply = messages.find((m): m is JsonRpcReply => isObject(m) && ('result' in m || 'error' in m));
  return { status: response.status, headers: response.headers, text, messages, response: reply };
}

/** Sends `initialize` (+ `notifications/initialized`) with raw fetch; returns the new session id. */
export async function openRawSession(url: string, headers: Record<string, string | null> = {}): Promise<string> {
  const init = await rawPost(url, initializeRequest(1), headers);
  const sessionId = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sessionId) throw new Error(`initialize failed: ${init.status} ${init.text}`);
  const initialized = await rawPost(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
  );
  if (initialized.status !== 202) throw new Error(`initialized notification got ${initialized.status}`);
  return sessionId;
}

export function initializeRequest(id: number | string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'raw-e2e', version: '1.0.0' },
    },
  };
}

/** Headers of a request on an open session. */
export function sessionHeaders(sessionId: string): Record<string, string> {
  return { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
}

function parseBody(text: string, contentType: string): unknown[] {
  if (text.trim() === '') return [];
  if (contentType.includes('text/event-stream')) {
    return text
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as unknown);
  }
  try {
    return [JSON.parse(text) as unknown];
  } catch {
    return [];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * A request through node:http, for headers that fetch will not send as given (fetch always sets Host from the URL).
 * Resolves with the status and body text.
 */
export function nodeHttpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The text parts of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : ''))
    .join('');
}
