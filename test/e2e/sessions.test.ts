/**
 * Client sessions and the backend state they hold (DESIGN.md §1): a shared stdio backend is one process for everyone,
 * `per_session: true` gives each client session its own process, and a session's process ends with the session —
 * whether the client deletes it or it sits idle past `sessions.idle_ttl_s` (a call in flight keeps it alive).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureStdio } from '../helpers/backends.js';
import {
  type ConnectedClient,
  connectClient,
  openRawSession,
  rawPost,
  sessionHeaders,
  textOf,
} from '../helpers/client.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

let gw: StartedGateway;
let idle: StartedGateway;
const clients: ConnectedClient[] = [];
let nextId = 1;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidVia(conn: ConnectedClient, backend: string): Promise<number> {
  const pid = Number(textOf(await conn.client.callTool({ name: `${backend}__pid`, arguments: {} })));
  expect(Number.isInteger(pid) && pid > 0).toBe(true);
  return pid;
}

async function rawCall(url: string, session: string, name: string): Promise<Awaited<ReturnType<typeof rawPost>>> {
  return rawPost(
    url,
    { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: {} } },
    sessionHeaders(session),
  );
}

async function connect(name: string): Promise<ConnectedClient> {
  const conn = await connectClient(gw.url, { name });
  clients.push(conn);
  return conn;
}

beforeAll(async () => {
  [gw, idle] = await Promise.all([
    startGateway({
      backends: {
        shared: fixtureStdio('flaky-server.mjs'),
        solo: fixtureStdio('flaky-server.mjs', { per_session: true }),
      },
    }),
    startGateway({
      backends: { solo: fixtureStdio('flaky-server.mjs', { per_session: true, timeout_s: 3 }) },
      yaml: 'sessions: { idle_ttl_s: 1 }',
    }),
  ]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([gw?.stop(), idle?.stop()]);
});

describe('shared and per-session stdio backends', () => {
  it('a shared stdio backend is one process for every client', async () => {
    const [a, b] = await Promise.all([connect('shared-a'), connect('shared-b')]);
    expect(await pidVia(a, 'shared')).toBe(await pidVia(b, 'shared'));
  });

  it('per_session: each client session gets its own process, kept for the session', async () => {
    const [a, b] = await Promise.all([connect('solo-a'), connect('solo-b')]);
    const pidA = await pidVia(a, 'solo');
    const pidB = await pidVia(b, 'solo');
    expect(pidA).not.toBe(pidB);
    expect(pidA).not.toBe(await pidVia(a, 'shared'));
    expect(await pidVia(a, 'solo')).toBe(pidA);
    expect(isAlive(pidA) && isAlive(pidB)).toBe(true);
  });

  it('deleting a session ends its per-session process, and only that one', async () => {
    const leaving = await connectClient(gw.url, { name: 'leaving' });
    const staying = await connect('staying');
    const leavingPid = await pidVia(leaving, 'solo');
    const stayingPid = await pidVia(staying, 'solo');
    await leaving.transport.terminateSession();
    await leaving.close();
    await waitUntil(() => !isAlive(leavingPid), 8_000, `per-session process ${leavingPid} to end`);
    expect(isAlive(stayingPid)).toBe(true);
    expect(await pidVia(staying, 'solo')).toBe(stayingPid);
  });
});

describe('idle sessions (sessions.idle_ttl_s: 1)', () => {
  it('a session idle past its TTL is closed (404), and its per-session process ends', async () => {
    const session = await openRawSession(idle.url);
    const first = await rawCall(idle.url, session, 'solo__pid');
    const pid = Number(textOf(first.response?.result));
    expect(isAlive(pid)).toBe(true);
    // Watch the process, not the session: any request on the session would count as activity.
    await waitUntil(() => !isAlive(pid), 8_000, `the idle session's process ${pid} to end`);
    const late = await rawCall(idle.url, session, 'solo__ok');
    expect(late.status).toBe(404);
  });

  it('a session with a call in flight is not idle, however long the call takes', async () => {
    const session = await openRawSession(idle.url);
    // `hang` is held until the backend's 3 s timeout: three TTLs without any other message on the session.
    const hung = await rawCall(idle.url, session, 'solo__hang');
    expect(hung.response?.error).toMatchObject({ code: -32088, data: { reason: 'backend_unavailable' } });
    const after = await rawCall(idle.url, session, 'solo__ok');
    expect(after.status).toBe(200);
    expect(textOf(after.response?.result)).toBe('ok');
  });
});
