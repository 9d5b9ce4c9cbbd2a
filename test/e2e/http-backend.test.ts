/**
 * server-everything over Streamable HTTP as a backend: each client session gets its own backend session, so
 * server→client requests (sampling, elicitation) reach exactly the client whose call caused them; a client's
 * session DELETE ends its gateway session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { everythingHttp, type HttpBackendProcess, startEverythingHttp, startFixtureHttp } from '../helpers/backends.js';
import { type ConnectedClient, connectClient, rawPost, sessionHeaders, textOf } from '../helpers/client.js';
import { readAudit, requestRows } from '../helpers/audit.js';
import { expectCancellationSettles } from '../helpers/cancellation.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

const CONFIG_ROOT = 'file:///srv/shared';

let backend: HttpBackendProcess;
let headerEcho: HttpBackendProcess;
let gw: StartedGateway;
const clients: ConnectedClient[] = [];

/** A client that answers sampling requests with `answer` and records what it was asked. */
async function samplingClient(answer: string): Promise<{ conn: ConnectedClient; asked: string[] }> {
  const conn = await connectClient(gw.url, { name: `sampler-${answer}`, capabilities: { sampling: {} } });
  clients.push(conn);
  const asked: string[] = [];
  conn.client.setRequestHandler(CreateMessageRequestSchema, (request) => {
    asked.push(JSON.stringify(request.params.messages));
    return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: answer } };
  });
  return { conn, asked };
}

beforeAll(async () => {
  [backend, headerEcho] = await Promise.all([startEverythingHttp(), startFixtureHttp('header-echo-server.mjs')]);
  gw = await startGateway({
    backends: {
      everything: everythingHttp(backend.url, { roots: [CONFIG_ROOT] }),
      hdr: everythingHttp(headerEcho.url, { headers: { 'X-Backend-Key': 'configured-value' } }),
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw?.stop();
  await Promise.all([backend?.stop(), headerEcho?.stop()]);
});

async function connect(name: string, options: Parameters<typeof connectClient>[1] = {}): Promise<ConnectedClient> {
  const conn = await connectClient(gw.url, { name, ...options });
  clients.push(conn);
  return conn;
}

describe('a Streamable HTTP backend', () => {
  it('is up, and tools/list and calls work through it', async () => {
    expect(gw.gateway.backendStatuses().get('everything')?.state).toBe('up');
    const conn = await connectClient(gw.url);
    clients.push(conn);
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name)).toContain('everything__echo');
    const echo = await conn.client.callTool({ name: 'everything__echo', arguments: { message: 'over http' } });
    expect(textOf(echo)).toContain('over http');
    const sum = await conn.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
    expect(textOf(sum)).toContain('42');
    const rows = await requestRows(gw.dbPath, 'tools/call', { backend: 'everything', tool: 'echo' });
    expect(rows.length).toBeGreaterThanOrEqual(1);
  });

  it('opens the backend session with the client’s own capabilities (no sampling: no sampling tool)', async () => {
    const plain = await connectClient(gw.url, { name: 'no-sampling' });
    clients.push(plain);
    const { conn } = await samplingClient('unused');
    const plainTools = (await plain.client.listTools()).tools.map((t) => t.name);
    const samplerTools = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(plainTools).not.toContain('everything__trigger-sampling-request');
    expect(samplerTools).toContain('everything__trigger-sampling-request');
  });

  it('sampling: the backend’s sampling/createMessage reaches the calling client and its answer comes back', async () => {
    const { conn, asked } = await samplingClient('the client model answers: 7');
    const result = await conn.client.callTool(
      { name: 'everything__trigger-sampling-request', arguments: { prompt: 'what is 3+4?', maxTokens: 20 } },
      undefined,
      { timeout: 15_000 },
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('what is 3+4?');
    expect(textOf(result)).toContain('the client model answers: 7');
  });

  it('sampling with two clients calling at once: each is asked only on its own behalf', async () => {
    const a = await samplingClient('answer-from-A');
    const b = await samplingClient('answer-from-B');
    const [ra, rb] = await Promise.all([
      a.conn.client.callTool(
        { name: 'everything__trigger-sampling-request', arguments: { prompt: 'prompt-A' } },
        undefined,
        { timeout: 15_000 },
      ),
      b.conn.client.callTool(
        { name: 'everything__trigger-sampling-request', arguments: { prompt: 'prompt-B' } },
        undefined,
        { timeout: 15_000 },
      ),
    ]);
    expect(textOf(ra)).toContain('answer-from-A');
    expect(textOf(ra)).not.toContain('answer-from-B');
    expect(textOf(rb)).toContain('answer-from-B');
    expect(a.asked.join()).toContain('prompt-A');
    expect(a.asked.join()).not.toContain('prompt-B');
    expect(b.asked.join()).toContain('prompt-B');
  });

  it('elicitation: the backend’s elicitation/create reaches the client and its answer comes back', async () => {
    const conn = await connectClient(gw.url, { name: 'eliciter', capabilities: { elicitation: { form: {} } } });
    clients.push(conn);
    let asked = 0;
    conn.client.setRequestHandler(ElicitRequestSchema, () => {
      asked++;
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
    });
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name)).toContain('everything__trigger-elicitation-request');
    const result = await conn.client.callTool(
      { name: 'everything__trigger-elicitation-request', arguments: {} },
      undefined,
      { timeout: 15_000 },
    );
    expect(asked).toBe(1);
    expect(textOf(result)).toContain('Name: Ada Lovelace');
  });

  it('progress notifications of a long-running tool reach the client', async () => {
    const conn = await connect('progress');
    const progress: Progress[] = [];
    const result = await conn.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 15_000 },
    );
    expect(textOf(result)).toContain('Long running operation completed');
    expect(progress.map((p) => [p.progress, p.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('cancellation: an aborted call rejects quickly and the gateway settles it', async () => {
    await expectCancellationSettles((await connect('canceller')).client, gw.dbPath);
  });

  it('roots: the backend gets the roots of the config, never the client’s own', async () => {
    let asked = 0;
    const conn = await connect('rooted', { capabilities: { roots: { listChanged: true } } });
    conn.client.setRequestHandler(ListRootsRequestSchema, () => {
      asked++;
      return { roots: [{ uri: 'file:///home/client/secret', name: 'client secret' }] };
    });
    const result = await conn.client.callTool({ name: 'everything__get-roots-list', arguments: {} }, undefined, {
      timeout: 8_000,
    });
    expect(textOf(result)).toContain(CONFIG_ROOT);
    expect(textOf(result)).not.toContain('file:///home/client/secret');
    expect(asked).toBe(0);
  });

  it('log messages of a client’s backend session reach that client, and only that client', async () => {
    const a = await connect('logger-a');
    const b = await connect('logger-b');
    const logsA: string[] = [];
    const logsB: string[] = [];
    a.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsA.push(String(n.params.data)));
    b.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsB.push(String(n.params.data)));
    await Promise.all([a.client.listTools(), b.client.listTools()]);
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('debug');
    const toggle = await a.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    expect(textOf(toggle)).toMatch(/started/i);
    try {
      // The server sends one message at once, then one every 5 s.
      await waitUntil(() => logsA.some((m) => /-level message/.test(m)), 8_000, 'a simulated log message at client A');
      expect(logsB.filter((m) => /-level message/.test(m))).toEqual([]);
    } finally {
      await a.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    }
  });

  it('resource updates reach the subscribed client only', async () => {
    const a = await connect('subscriber-a');
    const b = await connect('subscriber-b');
    const updatesA: string[] = [];
    const updatesB: string[] = [];
    a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updatesA.push(n.params.uri));
    b.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updatesB.push(n.params.uri));
    const { resources } = await a.client.listResources();
    const uri = resources[0]?.uri;
    if (!uri) throw new Error('no resources listed');
    await a.client.subscribeResource({ uri });
    await b.client.listResources();
    await a.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    await b.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    try {
      await waitUntil(() => updatesA.includes(uri), 8_000, `notifications/resources/updated for ${uri} at client A`);
      expect(updatesB).toEqual([]);
    } finally {
      await a.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      await b.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    }
  });

  it('client credentials never reach the backend; the backend gets exactly the headers its config names', async () => {
    const conn = await connect('credentialed', {
      headers: {
        Authorization: 'Bearer client-secret-token',
        'X-Portcullis-Agent': 'bot-7',
        Cookie: 'session=client-cookie',
      },
    });
    const result = await conn.client.callTool({ name: 'hdr__seen-headers', arguments: {} });
    const seen = JSON.parse(textOf(result)) as { method: string; headers: Record<string, string> }[];
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.headers['x-backend-key']).toBe('configured-value');
      // Signature headers are checked with real signatures in signatures.test.ts.
      for (const name of ['authorization', 'x-portcullis-agent', 'cookie']) {
        expect(request.headers[name], `${request.method} carried ${name}`).toBeUndefined();
      }
      expect(JSON.stringify(request.headers)).not.toContain('client-secret-token');
    }
    // The agent the client named is what the audit log records (unverified: no signature was checked).
    const rows = await readAudit(gw.dbPath, { agent: 'bot-7' });
    expect(rows.find((r) => r.tool === 'seen-headers')).toMatchObject({ backend: 'hdr', verified: false });
  });

  it('session DELETE ends the session: a later request with that session id gets 404', async () => {
    const conn = await connectClient(gw.url, { name: 'deleter' });
    const sessionId = conn.transport.sessionId;
    expect(sessionId).toBeTruthy();
    await conn.client.callTool({ name: 'everything__echo', arguments: { message: 'before delete' } });
    const terminations = (): number => backend.stdout().split('Received session termination request').length - 1;
    const terminatedBefore = terminations();
    await conn.transport.terminateSession();
    await conn.close();
    const after = await rawPost(
      gw.url,
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      sessionHeaders(sessionId ?? ''),
    );
    expect(after.status).toBe(404);
    expect(after.response?.error?.code).toBe(-32001);
    // ...and the gateway ended the backend session it had opened for this client.
    await waitUntil(() => terminations() > terminatedBefore, 5_000, 'the backend session to be terminated');

    // The gateway keeps serving everyone else.
    const other = await connectClient(gw.url);
    clients.push(other);
    const echo = await other.client.callTool({ name: 'everything__echo', arguments: { message: 'after delete' } });
    expect(textOf(echo)).toContain('after delete');
  });
});
