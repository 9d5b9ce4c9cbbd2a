/**
 * Webhooks through the real gateway (issue: quarantine review): a local receiver checks every delivery's
 * HMAC-SHA256 signature over the raw body with the shared secret, and sees `quarantined`, `approved`, `rejected`,
 * `blocked` and `agent_suspended`. A receiver that fails first is retried. (That a call never waits for a receiver is
 * src/webhooks/dispatcher.test.ts: emit only queues.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureStdio } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

const SECRET = 'webhook-e2e-secret-0123456789';
const OPS_TOKEN = 'webhook-e2e-ops-token-0123456789';
const BLOCK_RULE = `
- id: TESTBLOCK-001
  name: Blocked marker (test)
  category: exfiltration
  severity: critical
  description: Blocks a call whose arguments carry the test marker.
  surfaces: [tool_args]
  patterns:
    - contains: "block-this-call"
  examples:
    match: ["block-this-call", "x block-this-call", "block-this-call y"]
    no_match: ["block this call", "nothing", "block-this"]
`;

interface Delivery {
  readonly event: string;
  readonly body: { id: string; event: string; ts: string; data: Record<string, unknown> };
  readonly signatureValid: boolean;
}

let work: string;
let receiver: Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];
/** The receiver answers 503 to the first delivery of each event named here, to exercise retries. */
const failFirst = new Set<string>(['rejected']);
const failed = new Set<string>();
let started: StartedGateway;
let conn: ConnectedClient;
let adminUrl: string;

function verify(body: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPS_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function delivered(event: string, count = 1): Promise<Delivery[]> {
  await waitUntil(async () => deliveries.filter((d) => d.event === event).length >= count, 10_000, `${count} ${event} webhook(s)`);
  return deliveries.filter((d) => d.event === event);
}

async function heldItem(call: Promise<unknown>): Promise<string> {
  let id: string | undefined;
  await waitUntil(async () => (id = ((await admin('GET', '/v1/quarantine?status=pending')).items as { id: string }[])[0]?.id) !== undefined, 5_000, 'a held call');
  void call.catch(() => undefined);
  return id as string;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-webhooks-e2e-'));
  mkdirSync(join(work, 'rules'));
  writeFileSync(join(work, 'rules', 'block.yaml'), BLOCK_RULE);
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const event = String(request.headers['x-portcullis-event']);
      if (failFirst.has(event) && !failed.has(event)) {
        failed.add(event);
        response.writeHead(503).end();
        return;
      }
      deliveries.push({ event, body: JSON.parse(raw.toString('utf8')) as Delivery['body'], signatureValid: verify(raw, request.headers['x-portcullis-signature'] as string | undefined) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/portcullis`;
  started = await startGateway({
    backends: { content: fixtureStdio('content-server.mjs') },
    yaml: `
admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${OPS_TOKEN}" } }
rules: { dirs: [${JSON.stringify(join(work, 'rules'))}] }
approval: { require: ["content/add"] }
quarantine: { hold_s: 10 }
webhooks:
  - { url: "${receiverUrl}", events: [blocked, quarantined, approved, rejected, agent_suspended], secret: "${SECRET}" }
`,
  });
  adminUrl = started.gateway.adminUrl as string;
  conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
});

afterAll(async () => {
  await conn?.close();
  await started?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe('webhooks', () => {
  it('a held call sends quarantined, and its approval sends approved, each signed over the body', async () => {
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: 1, b: 2 } }, undefined, { timeout: 30_000 });
    const id = await heldItem(call);
    const [held] = await delivered('quarantined');
    expect(held).toMatchObject({ signatureValid: true, body: { event: 'quarantined', data: { agent: 'analyst', backend: 'content', tool: 'add' } } });
    expect(String(held?.body.data.detail)).toContain(id);
    await admin('POST', `/v1/quarantine/${id}/approve`, { reason: 'fine' });
    await call;
    const [approved] = await delivered('approved');
    expect(approved).toMatchObject({ signatureValid: true, body: { data: { agent: 'analyst', tool: 'add', detail: `${id} approved by ops: fine` } } });
  });

  it('a rejection sends rejected, retried after the receiver failed once', async () => {
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: 5, b: 5 } }, undefined, { timeout: 30_000 });
    const id = await heldItem(call);
    await admin('POST', `/v1/quarantine/${id}/reject`, { reason: 'no' });
    const [rejected] = await delivered('rejected');
    expect(failed.has('rejected')).toBe(true);
    expect(rejected).toMatchObject({ signatureValid: true, body: { data: { detail: `${id} rejected by ops: no` } } });
  });

  it('a blocked call sends blocked with the rule, never the arguments', async () => {
    await expect(conn.client.callTool({ name: 'content__echo', arguments: { text: 'please block-this-call now' } })).rejects.toMatchObject({ code: -32084 });
    const [blocked] = await delivered('blocked');
    expect(blocked).toMatchObject({ signatureValid: true, body: { data: { agent: 'analyst', tool: 'echo', reason: 'rule_blocked', findings: ['TESTBLOCK-001'] } } });
    expect(JSON.stringify(blocked?.body)).not.toContain('block-this-call');
  });

  it('suspending an agent sends agent_suspended', async () => {
    await admin('POST', '/v1/admin/agents/analyst/suspend', { reason: 'investigating' });
    const [suspended] = await delivered('agent_suspended');
    expect(suspended).toMatchObject({ signatureValid: true, body: { data: { agent: 'analyst' } } });
    await admin('POST', '/v1/admin/agents/analyst/unsuspend');
  });
});
