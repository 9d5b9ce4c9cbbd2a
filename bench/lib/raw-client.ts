/**
 * A minimal MCP client over raw `fetch`: one real `initialize` + `notifications/initialized`, then JSON-RPC requests
 * with the session headers, reading each whole body (JSON or SSE). It measures the transport, not an SDK client's own
 * overhead, and it is the same code for the direct and the gateway path. Given a signer, it signs every request of
 * the session (initialize, initialized, each call and the closing DELETE) with a fresh signature and nonce.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { RequestSigner } from './identity.js';

const ACCEPT = 'application/json, text/event-stream';

/**
 * The answers of the gateway's pipeline when it refuses a message (src/pipeline/deny-reasons.ts: rate_limited,
 * bad_signature … flow_denied). During a measurement one of them means the configuration under test is wrong, not
 * that the machine was slow: the run stops rather than count fast refusals as calls.
 */
const DENIAL_CODES: ReadonlySet<number> = new Set([-32029, -32081, -32082, -32083, -32084, -32085, -32086, -32087]);

/** A JSON-RPC error answer (in a 2xx body, or the JSON-RPC body of an HTTP error status). */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
    readonly httpStatus: number,
  ) {
    super(`JSON-RPC error ${code} (HTTP ${httpStatus}): ${message}`);
    this.name = 'JsonRpcError';
  }

  /** True when the gateway's pipeline refused the message (signature, suspension, rate limit, ACL, rules, guards). */
  get isDenial(): boolean {
    return this.code !== undefined && DENIAL_CODES.has(this.code);
  }
}

/** A result that is not what the call should have returned (e.g. not the echo). */
export class UnexpectedResultError extends Error {
  override readonly name = 'UnexpectedResultError';
}

/** One request, serialized and (for a signed session) signed, ready to send. */
export interface PreparedRequest {
  readonly id: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RawSession {
  readonly sessionId: string;
  readonly protocolVersion: string;
  /** Whether this session signs its requests. */
  readonly signed: boolean;
  /** Serializes (and signs) one JSON-RPC request; it is sent by `send`. */
  prepare(method: string, params: unknown): PreparedRequest;
  /** Sends a prepared request and resolves with its result; a JSON-RPC error or a bad answer rejects. */
  send(prepared: PreparedRequest): Promise<unknown>;
  /** `prepare` then `send`. */
  request(method: string, params: unknown): Promise<unknown>;
  /** Ends the session (HTTP DELETE), best effort. */
  close(): Promise<void>;
}

export interface RawSessionOptions {
  /** Bound on each HTTP exchange. */
  readonly timeoutMs?: number;
  readonly clientName?: string;
  /** Signs every request of the session (the gateway with `require_signature: true`); none: unsigned. */
  readonly signer?: RequestSigner;
}

interface JsonRpcAnswer {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code?: number; readonly message?: string };
}

/** Opens a session on `url` the way an MCP client does. */
export async function openRawSession(url: string, options: RawSessionOptions = {}): Promise<RawSession> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { signer } = options;
  const sign = (method: string, body?: string): Record<string, string> =>
    signer === undefined ? {} : signer(method, url, body);
  const preparePost = (
    message: unknown,
    headers: Record<string, string>,
  ): { body: string; headers: Record<string, string> } => {
    const body = JSON.stringify(message);
    return { body, headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers, ...sign('POST', body) } };
  };
  const post = async (prepared: { body: string; headers: Record<string, string> }): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: prepared.headers,
      body: prepared.body,
      signal: AbortSignal.timeout(timeoutMs),
    });

  const initParams = {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: options.clientName ?? 'portcullis-bench', version: '1' },
  };
  const init = await post(preparePost({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initParams }, {}));
  const initResult = (await readResult(init, 0)) as { protocolVersion?: unknown };
  const sessionId = init.headers.get('mcp-session-id');
  if (sessionId === null) throw new Error(`${url}: initialize answered without an mcp-session-id header`);
  const protocolVersion = String(initResult.protocolVersion);
  const sessionHeaders = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion };

  const initialized = await post(preparePost({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders));
  const initializedText = await initialized.text();
  if (initialized.status !== 202)
    throw new Error(
      `${url}: notifications/initialized got HTTP ${initialized.status}: ${initializedText.slice(0, 200)}`,
    );

  let nextId = 1;
  const prepare = (method: string, params: unknown): PreparedRequest => {
    const id = nextId++;
    return { id, ...preparePost({ jsonrpc: '2.0', id, method, params }, sessionHeaders) };
  };
  const send = async (prepared: PreparedRequest): Promise<unknown> =>
    readResult(await post({ body: prepared.body, headers: { ...prepared.headers } }), prepared.id);
  return {
    sessionId,
    protocolVersion,
    signed: signer !== undefined,
    prepare,
    send,
    request: (method, params) => send(prepare(method, params)),
    async close() {
      try {
        const response = await fetch(url, {
          method: 'DELETE',
          headers: { ...sessionHeaders, ...sign('DELETE') },
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
      } catch {
        // best effort: the server ends idle sessions itself
      }
    },
  };
}

/** Reads the whole body and returns the result of the answer to `id`; an error answer throws a JsonRpcError. */
async function readResult(response: Response, id: number): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw httpError(response.status, text);
  const contentType = response.headers.get('content-type') ?? '';
  const messages = contentType.includes('text/event-stream') ? parseSseMessages(text) : [JSON.parse(text) as unknown];
  const answer = messages.find(
    (m): m is JsonRpcAnswer => typeof m === 'object' && m !== null && (m as JsonRpcAnswer).id === id,
  );
  if (!answer) throw new Error(`no answer to request ${id} in: ${text.slice(0, 200)}`);
  if (answer.error) throw new JsonRpcError(answer.error.code, String(answer.error.message), response.status);
  return answer.result;
}

/** An HTTP error status: a JsonRpcError when the body is a JSON-RPC error (the gateway's 401 bad_signature). */
function httpError(status: number, text: string): Error {
  try {
    const body = JSON.parse(text) as JsonRpcAnswer;
    if (typeof body === 'object' && body !== null && body.error)
      return new JsonRpcError(body.error.code, String(body.error.message), status);
  } catch {
    // not JSON: a plain HTTP error
  }
  return new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
}

/** The JSON messages of an SSE body (one per event; multi-line data joined with "\n"; empty priming events skipped). */
function parseSseMessages(text: string): unknown[] {
  const messages: unknown[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    const json = data.join('\n');
    if (json.trim() !== '') messages.push(JSON.parse(json) as unknown);
  }
  return messages;
}

/** Serializes (and signs, on a signed session) a `tools/call` of `tool` with `message`. */
export function prepareEcho(session: RawSession, tool: string, message: string): PreparedRequest {
  return session.prepare('tools/call', { name: tool, arguments: { message } });
}

/** Sends a prepared echo call and checks that the echo came back. */
export async function sendEcho(session: RawSession, prepared: PreparedRequest, message: string): Promise<void> {
  const result = (await session.send(prepared)) as { content?: { text?: unknown }[]; isError?: unknown };
  const text = result.content?.[0]?.text;
  if (result.isError === true || typeof text !== 'string' || !text.endsWith(message))
    throw new UnexpectedResultError(`echo: unexpected result ${JSON.stringify(result)}`);
}

/** Calls `tool` with `message` and checks that the echo came back. */
export async function callEcho(session: RawSession, tool: string, message: string): Promise<void> {
  await sendEcho(session, prepareEcho(session, tool, message), message);
}
