/**
 * A minimal MCP client over raw `fetch`: one real `initialize` + `notifications/initialized`, then JSON-RPC requests
 * with the session headers, reading each whole body (JSON or SSE). It measures the transport, not an SDK client's own
 * overhead, and it is the same code for the direct and the gateway path.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const ACCEPT = 'application/json, text/event-stream';

export interface RawSession {
  readonly sessionId: string;
  readonly protocolVersion: string;
  /** Sends one JSON-RPC request and resolves with its result; a JSON-RPC error or a bad answer rejects. */
  request(method: string, params: unknown): Promise<unknown>;
  /** Ends the session (HTTP DELETE), best effort. */
  close(): Promise<void>;
}

export interface RawSessionOptions {
  /** Bound on each HTTP exchange. */
  readonly timeoutMs?: number;
  readonly clientName?: string;
}

interface JsonRpcAnswer {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code?: number; readonly message?: string };
}

/** Opens a session on `url` the way an MCP client does. */
export async function openRawSession(url: string, options: RawSessionOptions = {}): Promise<RawSession> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const post = async (body: unknown, headers: Record<string, string>): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });

  const initParams = {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: options.clientName ?? 'portcullis-bench', version: '1' },
  };
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initParams }, {});
  const initResult = (await readResult(init, 0)) as { protocolVersion?: unknown };
  const sessionId = init.headers.get('mcp-session-id');
  if (sessionId === null) throw new Error(`${url}: initialize answered without an mcp-session-id header`);
  const protocolVersion = String(initResult.protocolVersion);
  const sessionHeaders = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion };

  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders);
  await initialized.arrayBuffer();
  if (initialized.status !== 202) throw new Error(`${url}: notifications/initialized got HTTP ${initialized.status}`);

  let nextId = 1;
  return {
    sessionId,
    protocolVersion,
    async request(method, params) {
      const id = nextId++;
      return readResult(await post({ jsonrpc: '2.0', id, method, params }, sessionHeaders), id);
    },
    async close() {
      try {
        const response = await fetch(url, {
          method: 'DELETE',
          headers: sessionHeaders,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
      } catch {
        // best effort: the server ends idle sessions itself
      }
    },
  };
}

/** Reads the whole body and returns the result of the answer to `id`. */
async function readResult(response: Response, id: number): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  const contentType = response.headers.get('content-type') ?? '';
  const messages = contentType.includes('text/event-stream') ? parseSseMessages(text) : [JSON.parse(text) as unknown];
  const answer = messages.find(
    (m): m is JsonRpcAnswer => typeof m === 'object' && m !== null && (m as JsonRpcAnswer).id === id,
  );
  if (!answer) throw new Error(`no answer to request ${id} in: ${text.slice(0, 200)}`);
  if (answer.error) throw new Error(`JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
  return answer.result;
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

/** Calls `tool` with `message` and checks that the echo came back. */
export async function callEcho(session: RawSession, tool: string, message: string): Promise<void> {
  const result = (await session.request('tools/call', { name: tool, arguments: { message } })) as {
    content?: { text?: unknown }[];
  };
  const text = result.content?.[0]?.text;
  if (typeof text !== 'string' || !text.endsWith(message))
    throw new Error(`${tool}: unexpected result ${JSON.stringify(result)}`);
}
