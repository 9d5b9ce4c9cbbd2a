/**
 * Quarantine review through the real gateway (issue: quarantine review): a call held by an approval policy waits for
 * a person and is released by an approval from the HTTP API and from the CLI, with the real result; a held response
 * is released without a second execution (the backend counts its calls); a rejection reaches the client with its
 * reason; an undecided item answers pending and a late approval lets exactly one identical retry through; an expired
 * item cannot be approved; an agent never approves its own item; with quarantine.elicitation, the client's user can
 * confirm an approval-policy hold in band (never a rule's). Real SDK client, real backend over stdio.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/open-database.js';
import { readAudit } from '../helpers/audit.js';
import { runCliInProcess, writeCliConfigFor } from '../helpers/cli.js';
import { fixtureStdio, freePort } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, buildTestConfig, startGateway, waitUntil } from '../helpers/start-gateway.js';

const OPS_TOKEN = 'quarantine-e2e-ops-token-0123456789';
/** A token whose name is the agent's: whoever holds it must not decide the agent's own items. */
const AGENT_TOKEN = 'quarantine-e2e-agent-token-0123456789';
const HOLD_S = 4;
const GATEWAY_YAML = (rulesDir: string, extra = ''): string => `
admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${OPS_TOKEN}", analyst: "${AGENT_TOKEN}" } }
rules: { dirs: [${JSON.stringify(rulesDir)}] }
approval: { require: ["content/add"] }
quarantine: { hold_s: ${HOLD_S}, approval_ttl_s: 600${extra} }
`;
/** A rule that holds tool results (only results) containing a marker, so a held response is easy to make. */
const HOLD_RULE = `
- id: TESTHOLD-001
  name: Result held for review (test)
  category: exfiltration
  severity: high
  description: Holds a tool result that contains the test marker.
  surfaces: [tool_result]
  patterns:
    - contains: "hold-this-result"
  examples:
    match: ["please hold-this-result now", "hold-this-result", "x hold-this-result y"]
    no_match: ["hold this result", "nothing here", "hold-this"]
`;

let work: string;
let started: StartedGateway;
let conn: ConnectedClient;
let cliConfig: string;
let adminUrl: string;
let rulesDir: string;

interface Item {
  id: string;
  status: string;
  agent: string;
  backend: string;
  tool: string;
  held: string;
  held_stage: string;
  review_reason: string | null;
  decided_by: string | null;
}

async function admin(method: 'GET' | 'POST', path: string, body?: unknown, token = OPS_TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function pendingItems(): Promise<Item[]> {
  return (await admin('GET', '/v1/quarantine?status=pending')).body.items as Item[];
}

/** Waits for a new pending item (one not in `known`) and returns it. */
async function nextPending(known: ReadonlySet<string>): Promise<Item> {
  let found: Item | undefined;
  await waitUntil(async () => (found = (await pendingItems()).find((i) => !known.has(i.id))) !== undefined, 5_000, 'a pending item');
  return found as Item;
}

async function allIds(): Promise<Set<string>> {
  return new Set(((await admin('GET', '/v1/quarantine')).body.items as Item[]).map((i) => i.id));
}

function cli(...argv: string[]): ReturnType<typeof runCliInProcess> {
  return runCliInProcess(cliConfig, argv);
}

async function serverCalls(): Promise<number> {
  const result = await conn.client.callTool({ name: 'content__calls', arguments: {} });
  return Number((result.content as { text: string }[])[0]?.text);
}

function text(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: number; data: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; data: Record<string, unknown> };
  }
  throw new Error('the call was not refused');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-quarantine-e2e-'));
  rulesDir = join(work, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'hold.yaml'), HOLD_RULE);
  started = await startGateway({ backends: { content: fixtureStdio('content-server.mjs') }, yaml: GATEWAY_YAML(rulesDir) });
  adminUrl = started.gateway.adminUrl as string;
  conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
  cliConfig = writeCliConfigFor(join(work, 'cli.yaml'), { url: started.url, adminUrl, dbPath: started.dbPath }, OPS_TOKEN);

});

afterAll(async () => {
  await conn?.close();
  await started?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a call held by an approval policy', () => {
  it('waits for a person; an approval from the HTTP API releases it and the client gets the real result', async () => {
    const known = await allIds();
    const before = await serverCalls();
    const progress: number[] = [];
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: 2, b: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      timeout: 30_000,
    });
    const item = await nextPending(known);
    expect(item).toMatchObject({ agent: 'analyst', backend: 'content', tool: 'add', held: 'request', held_stage: 'check-approval' });
    // Held, not run: the backend has not seen the call.
    expect(await serverCalls()).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 1_300)); // long enough for a progress notification
    const approved = await admin('POST', `/v1/quarantine/${item.id}/approve`, { reason: 'looks fine' });
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', decided_by: 'ops', review_reason: 'looks fine' } });
    expect(text(await call)).toBe('5');
    expect(progress.length).toBeGreaterThan(0);
    expect(await serverCalls()).toBe(before + 3); // the add itself, once, and the two counter calls
    const events = (await readAudit(started.dbPath)).filter((r) => r.method === 'quarantine.approved');
    expect(events.at(-1)).toMatchObject({ agent: 'analyst', tool: 'add', detail: `${item.id} approved by ops: looks fine` });
    // The call's own audit row says what let it through.
    const rows = (await readAudit(started.dbPath)).filter((r) => r.kind === 'request' && r.tool === 'add' && r.decision === 'allow');
    expect(rows.at(-1)).toMatchObject({ forwarded: true, detail: `released by approval ${item.id} by ops` });
  });

  it('is released by `portcullis quarantine approve` too', async () => {
    const known = await allIds();
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: 40, b: 2 } }, undefined, { timeout: 30_000 });
    const item = await nextPending(known);
    const listed = await cli('quarantine', 'list', '--json', '--status', 'pending');
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.id === item.id)).toMatchObject({ id: item.id, status: 'pending', agent: 'analyst', backend: 'content', tool: 'add', reason: 'quarantined', created_at: expect.any(String) });
    const approved = await cli('quarantine', 'approve', item.id, '--reason', 'ok from the CLI');
    expect(approved.code).toBe(0);
    expect(approved.out).toContain(`${item.id}  approved`);
    expect(text(await call)).toBe('42');
  });

  it('a rejection reaches the client with the reviewer’s reason, and the call never runs', async () => {
    const known = await allIds();
    const before = await serverCalls();
    const call = refusal(conn.client.callTool({ name: 'content__add', arguments: { a: 1, b: 1 } }, undefined, { timeout: 30_000 }));
    const item = await nextPending(known);
    expect((await cli('quarantine', 'reject', item.id, '--reason', 'not on a Friday')).code).toBe(0);
    const error = await call;
    expect(error).toMatchObject({ code: -32086, data: { reason: 'quarantined', quarantine_id: item.id, status: 'rejected', review_reason: 'not on a Friday' } });
    expect(await serverCalls()).toBe(before + 1);
  });

  it('an agent never approves its own item: a reviewer named like the agent is refused', async () => {
    const known = await allIds();
    const call = refusal(conn.client.callTool({ name: 'content__add', arguments: { a: 9, b: 9 } }, undefined, { timeout: 30_000 }));
    const item = await nextPending(known);
    const own = await admin('POST', `/v1/quarantine/${item.id}/approve`, {}, AGENT_TOKEN);
    expect(own.status).toBe(403);
    expect((await admin('GET', `/v1/quarantine/${item.id}`)).body).toMatchObject({ status: 'pending', decided_by: null });
    expect((await call).data).toMatchObject({ status: 'pending', quarantine_id: item.id });
  });
});

describe('after the client stopped waiting', () => {
  it('answers pending; a late approval lets exactly one identical retry through, and not a different call', async () => {
    const args = { a: 100, b: 23 };
    const first = await refusal(conn.client.callTool({ name: 'content__add', arguments: args }, undefined, { timeout: 30_000 }));
    expect(first).toMatchObject({ code: -32086, data: { status: 'pending', quarantine_id: expect.stringMatching(/^q_[0-9a-f]{24}$/) } });
    const id = String(first.data.quarantine_id);
    expect((await admin('POST', `/v1/quarantine/${id}/approve`)).status).toBe(200);
    // A different call (other arguments) is not covered by the approval: it is held again.
    const known = await allIds();
    const other = refusal(conn.client.callTool({ name: 'content__add', arguments: { a: 100, b: 24 } }, undefined, { timeout: 30_000 }));
    const otherItem = await nextPending(known);
    expect((await admin('POST', `/v1/quarantine/${otherItem.id}/reject`)).status).toBe(200);
    expect((await other).data).toMatchObject({ status: 'rejected' });
    // The identical retry (same agent, tool and canonical arguments, keys in another order) passes once...
    expect(text(await conn.client.callTool({ name: 'content__add', arguments: { b: 23, a: 100 } }))).toBe('123');
    const retried = (await readAudit(started.dbPath)).filter((r) => r.kind === 'request' && r.tool === 'add' && r.decision === 'allow').at(-1);
    expect(retried?.detail).toBe(`retried under approval ${id} by ops`);
    // ...and only once.
    const again = refusal(conn.client.callTool({ name: 'content__add', arguments: args }, undefined, { timeout: 30_000 }));
    const againItem = await nextPending(await allIds().then((s) => (s.delete(id), s)));
    expect(againItem.id).not.toBe(id);
    expect((await admin('POST', `/v1/quarantine/${againItem.id}/reject`)).status).toBe(200);
    expect((await again).data).toMatchObject({ status: 'rejected' });
  }, 30_000);

  it('an expired item cannot be approved', async () => {
    const first = await refusal(conn.client.callTool({ name: 'content__add', arguments: { a: 7, b: 7 } }, undefined, { timeout: 30_000 }));
    const id = String(first.data.quarantine_id);
    // Held two days ago (expiry_h defaults to 24).
    const db = openDatabase(started.dbPath);
    try {
      db.sqlite.prepare('UPDATE quarantine_items SET created_at = ? WHERE id = ?').run(Date.now() - 48 * 3_600_000, id);
    } finally {
      db.close();
    }
    const approved = await admin('POST', `/v1/quarantine/${id}/approve`);
    expect(approved.status).toBe(409);
    expect(approved.body.error).toMatch(/expired/);
    expect((await admin('GET', `/v1/quarantine/${id}`)).body).toMatchObject({ status: 'expired' });
    const retried = await refusal(conn.client.callTool({ name: 'content__add', arguments: { a: 7, b: 7 } }, undefined, { timeout: 30_000 }));
    expect(retried.data.quarantine_id).not.toBe(id);
  }, 30_000);
});

describe('a held response', () => {
  it('has run; an approval releases its result without running the call again', async () => {
    const known = await allIds();
    const before = await serverCalls();
    const call = conn.client.callTool({ name: 'content__echo', arguments: { text: 'please hold-this-result now' } }, undefined, { timeout: 30_000 });
    const item = await nextPending(known);
    expect(item).toMatchObject({ held: 'response', tool: 'echo', held_stage: 'response:scan-rules' });
    expect(await serverCalls()).toBe(before + 2); // the echo ran once (and this counter call)
    expect((await admin('POST', `/v1/quarantine/${item.id}/approve`)).status).toBe(200);
    expect(text(await call)).toBe('please hold-this-result now');
    expect(await serverCalls()).toBe(before + 3);
  });

  it('approved late, it is released as stored to one identical retry, without a second execution', async () => {
    const args = { text: 'late: hold-this-result' };
    const first = await refusal(conn.client.callTool({ name: 'content__echo', arguments: args }, undefined, { timeout: 30_000 }));
    const id = String(first.data.quarantine_id);
    expect((await admin('POST', `/v1/quarantine/${id}/approve`)).status).toBe(200);
    const before = await serverCalls();
    expect(text(await conn.client.callTool({ name: 'content__echo', arguments: args }))).toBe('late: hold-this-result');
    expect(await serverCalls()).toBe(before + 1); // only the counter call: the echo did not run again
  }, 30_000);
});

describe('in-band confirmation (quarantine.elicitation)', () => {
  async function withElicitation<T>(answer: { action: string; content?: Record<string, unknown> }, body: (client: ConnectedClient, asked: string[]) => Promise<T>): Promise<T> {
    started.gateway.reload({ kind: 'applied', config: buildTestConfig(started.dir, { backends: { content: fixtureStdio('content-server.mjs') }, yaml: GATEWAY_YAML(rulesDir, ', elicitation: true') }), warnings: [] });
    const client = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' }, capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return answer as never;
    });
    try {
      return await body(client, asked);
    } finally {
      await client.close();
      started.gateway.reload({ kind: 'applied', config: buildTestConfig(started.dir, { backends: { content: fixtureStdio('content-server.mjs') }, yaml: GATEWAY_YAML(rulesDir) }), warnings: [] });
    }
  }

  it('the client’s user confirms an approval-policy hold; the decision is recorded as theirs', async () => {
    await withElicitation({ action: 'accept', content: { approve: true } }, async (client, asked) => {
      const result = await client.client.callTool({ name: 'content__add', arguments: { a: 3, b: 4 } }, undefined, { timeout: 30_000 });
      expect(text(result)).toBe('7');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/content\/add with \{"a":3,"b":4\}/);
      const events = (await readAudit(started.dbPath)).filter((r) => r.method === 'quarantine.approved');
      expect(events.at(-1)?.detail).toMatch(/approved by analyst \(user, in the client\): confirmed by the user in the client/);
    });
  });

  it('a user who declines rejects the call', async () => {
    await withElicitation({ action: 'decline' }, async (client) => {
      const error = await refusal(client.client.callTool({ name: 'content__add', arguments: { a: 1, b: 0 } }, undefined, { timeout: 30_000 }));
      expect(error).toMatchObject({ code: -32086, data: { status: 'rejected', review_reason: 'declined by the user in the client' } });
    });
  });

  it('a rule’s hold is never offered to the user: it waits for an operator', async () => {
    await withElicitation({ action: 'accept', content: { approve: true } }, async (client, asked) => {
      const error = await refusal(client.client.callTool({ name: 'content__echo', arguments: { text: 'in band: hold-this-result' } }, undefined, { timeout: 30_000 }));
      expect(error.data).toMatchObject({ status: 'pending' });
      expect(asked).toEqual([]);
    });
  }, 30_000);
});

describe('bad input to the review API', () => {
  it.each([
    ['an id that is not one', 'GET', '/v1/quarantine/nope', undefined, 400],
    ['an unknown item', 'POST', '/v1/quarantine/q_000000000000000000000000/approve', {}, 404],
    ['a bad status filter', 'GET', '/v1/quarantine?status=maybe', undefined, 400],
    ['a reason that is not a string', 'POST', '/v1/quarantine/q_000000000000000000000000/reject', { reason: 42 }, 400],
  ] as const)('refuses %s with %s', async (_name, method, path, body, status) => {
    expect((await admin(method, path, body)).status).toBe(status);
  });

  it('refuses a request without a token', async () => {
    expect((await fetch(`${adminUrl}/v1/quarantine`)).status).toBe(401);
  });

  it('the CLI says so when no gateway is running', async () => {
    const offline = join(work, 'offline.yaml');
    writeFileSync(offline, `admin: { host: 127.0.0.1, port: ${await freePort()}, tokens: { ops: "${OPS_TOKEN}" } }\nidentity: { require_signature: false }\n`);
    const { code, err } = await runCliInProcess(offline, ['quarantine', 'list']);
    expect(code).toBe(1);
    expect(err).toMatch(/No gateway is running/);
  });

  it('the CLI refuses a malformed id before asking the gateway', async () => {
    const result = await cli('quarantine', 'approve', 'q_1');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/needs an item id/);
  });
});
