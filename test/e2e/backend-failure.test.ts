/**
 * Backends that fail: one that crashes mid-call, one that hangs, one whose command does not exist, and a client that
 * goes away mid-call. Each gets a clear error (-32088 backend_unavailable), the gateway keeps serving, and a crashed
 * backend comes back by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { readAudit, requestRows } from '../helpers/audit.js';
import { type HttpBackendProcess, everythingHttp, fixtureStdio, startEverythingHttp } from '../helpers/backends.js';
import {
  type ConnectedClient,
  connectClient,
  openRawSession,
  rawPost,
  sessionHeaders,
  textOf,
} from '../helpers/client.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

const BACKEND_UNAVAILABLE = { code: -32088, data: { reason: 'backend_unavailable' } };

let gw: StartedGateway;
let remote: HttpBackendProcess;
let conn: ConnectedClient;
let listChanged = 0;

async function toolNames(): Promise<string[]> {
  return (await conn.client.listTools()).tools.map((t) => t.name);
}

async function callOk(backend: string): Promise<void> {
  const result = await conn.client.callTool({ name: `${backend}__ok`, arguments: {} });
  expect(textOf(result)).toBe('ok');
}

beforeAll(async () => {
  remote = await startEverythingHttp();
  gw = await startGateway({
    backends: {
      remote: everythingHttp(remote.url, { timeout_s: 5 }),
      flaky: fixtureStdio('flaky-server.mjs'),
      slow: fixtureStdio('flaky-server.mjs', { timeout_s: 1 }),
      ghost: { transport: 'stdio', command: '/nonexistent/portcullis-no-such-command', args: [] },
    },
  });
  // A timeout of 1 s also bounds the handshake: on a busy machine the first start may miss it and be retried.
  await waitUntil(() => gw.gateway.backendStatuses().get('slow')?.state === 'up', 20_000, 'backend slow up');
  conn = await connectClient(gw.url);
  conn.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
});

afterAll(async () => {
  await conn?.close();
  await gw?.stop();
  await remote?.stop();
});

describe('a backend whose command does not exist', () => {
  it('the gateway still starts; /healthz is 200 "degraded" with that backend down', async () => {
    const response = await fetch(`${gw.origin}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      backends: Record<string, { state: string; error?: string; tools: number }>;
    };
    expect(body.status).toBe('degraded');
    expect(body.backends.ghost?.state).toBe('down');
    expect(body.backends.ghost?.error).toEqual(expect.any(String));
    expect(body.backends.flaky).toMatchObject({ state: 'up', tools: 4 });
    expect(body.backends.slow).toMatchObject({ state: 'up', tools: 4 });
    expect(body.backends.remote?.state).toBe('up');
  });

  it('the other backends work; the down backend’s tools are not listed and calls to it are backend_unavailable', async () => {
    await callOk('flaky');
    const names = await toolNames();
    expect(names).toEqual(expect.arrayContaining(['flaky__ok', 'flaky__hang', 'slow__ok']));
    expect(names.filter((n) => n.startsWith('ghost__'))).toEqual([]);
    await expect(conn.client.callTool({ name: 'ghost__ok', arguments: {} })).rejects.toMatchObject(BACKEND_UNAVAILABLE);
  });
});

describe('a backend that crashes mid-call', () => {
  it('the call gets -32088, the tools disappear, clients hear list_changed, and the backend comes back', async () => {
    const pidBefore = textOf(await conn.client.callTool({ name: 'flaky__pid', arguments: {} }));
    const changesBefore = listChanged;

    await expect(conn.client.callTool({ name: 'flaky__crash', arguments: {} })).rejects.toMatchObject(
      BACKEND_UNAVAILABLE,
    );
    // Retries start after about 0.5 s, and a restart takes longer: right now the backend is down.
    const whileDown = await toolNames();
    expect(whileDown.filter((n) => n.startsWith('flaky__'))).toEqual([]);
    expect(whileDown).toContain('slow__ok');
    await waitUntil(() => listChanged > changesBefore, 5_000, 'notifications/tools/list_changed');

    await waitUntil(async () => (await toolNames()).includes('flaky__ok'), 15_000, 'flaky tools listed again');
    expect(gw.gateway.backendStatuses().get('flaky')?.state).toBe('up');
    await callOk('flaky');
    const pidAfter = textOf(await conn.client.callTool({ name: 'flaky__pid', arguments: {} }));
    expect(pidAfter).not.toBe(pidBefore);
  });

  it('the crash is in the audit log: the call as backend_unavailable, the backend going down and up as events', async () => {
    const [crash] = await requestRows(gw.dbPath, 'tools/call', { backend: 'flaky', tool: 'crash' });
    expect(crash).toMatchObject({ reason: 'backend_unavailable', errorCode: -32088, forwarded: true });
    const events = (await readAudit(gw.dbPath, { backend: 'flaky', decision: 'event' })).map((r) => r.method);
    expect(events).toEqual(expect.arrayContaining(['backend.up', 'backend.down']));
    expect(events.lastIndexOf('backend.up')).toBeGreaterThan(events.indexOf('backend.down'));
  });
});

describe('a backend that hangs (timeout_s: 1)', () => {
  it('the call gets -32088 within a few seconds, and the next call works', async () => {
    const startedAt = Date.now();
    await expect(conn.client.callTool({ name: 'slow__hang', arguments: {} })).rejects.toMatchObject(
      BACKEND_UNAVAILABLE,
    );
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(10_000);
    await callOk('slow');
    expect(gw.gateway.backendStatuses().get('slow')?.state).toBe('up');
  });

  it('several hanging calls at once all time out, and leave nothing behind', async () => {
    const calls = Array.from({ length: 5 }, () => conn.client.callTool({ name: 'slow__hang', arguments: {} }));
    const settled = await Promise.allSettled(calls);
    for (const outcome of settled) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject(BACKEND_UNAVAILABLE);
    }
    const rows = await requestRows(gw.dbPath, 'tools/call', { backend: 'slow', tool: 'hang' });
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.reason).toBe('backend_unavailable');
    await callOk('slow');
  });
});

describe('a client that disconnects mid-call', () => {
  it('the gateway settles the abandoned call and keeps serving', async () => {
    const session = await openRawSession(gw.url);
    const controller = new AbortController();
    const id = 'abandoned-1';
    const call = rawPost(
      gw.url,
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'flaky__hang', arguments: {} } },
      sessionHeaders(session),
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    await expect(call).rejects.toThrow();

    await callOk('flaky');
    // flaky's timeout is 60 s: a row within a few seconds means the gateway gave up on the call when the client left.
    await waitUntil(
      async () =>
        (await requestRows(gw.dbPath, 'tools/call', { backend: 'flaky', tool: 'hang' })).some(
          (r) => r.requestId === id,
        ),
      5_000,
      'the audit row of the abandoned call',
    );
    await callOk('flaky');
  });
});

describe('an HTTP backend that goes away and comes back', () => {
  it('calls get -32088 while it is gone, it is marked down, and it is used again once it is back', async () => {
    const echo = () => conn.client.callTool({ name: 'remote__echo', arguments: { message: 'remote' } });
    expect(textOf(await echo())).toContain('remote');
    const port = remote.port;
    remote.child.kill('SIGKILL');
    await remote.stop();

    const startedAt = Date.now();
    await expect(echo()).rejects.toMatchObject(BACKEND_UNAVAILABLE);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    await waitUntil(() => gw.gateway.backendStatuses().get('remote')?.state === 'down', 10_000, 'backend remote down');
    expect((await toolNames()).filter((n) => n.startsWith('remote__'))).toEqual([]);
    await callOk('flaky');

    remote = await startEverythingHttp({ port });
    await waitUntil(
      () => gw.gateway.backendStatuses().get('remote')?.state === 'up',
      20_000,
      'backend remote up again',
    );
    expect(textOf(await echo())).toContain('remote');
    expect(await toolNames()).toContain('remote__echo');
  });
});
