/**
 * Operator suspension (DESIGN.md §4): `portcullis agents suspend|unsuspend` through the running gateway's admin API
 * (the token's name is the reviewer) takes effect on the agent's next request; with no gateway running the stored
 * state changes and applies at the next start. Every change is an audit event.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/main.js';
import { readAudit } from '../helpers/audit.js';
import { everythingStdio, freePort } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const TOKEN = 'ops-token-0123456789abcdef';
let started: StartedGateway;
let configFile: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommand([...argv, '--config', configFile], { out: (t) => void (out += t), err: (t) => void (err += t), env: {} });
  return { code, out, err };
}

/** Connects as `agent` and calls a tool; a suspended agent is refused already at initialize. */
async function echoAs(agent: string): Promise<{ ok: true } | { ok: false; code: number; reason: unknown }> {
  let conn: ConnectedClient | undefined;
  try {
    conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': agent } });
    await conn.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
    return { ok: true };
  } catch (error) {
    const e = error as { code: number; data?: { reason?: unknown } };
    return { ok: false, code: e.code, reason: e.data?.reason };
  } finally {
    await conn?.close();
  }
}

/** A config file for the CLI that points at the running gateway's listeners and database. */
function writeCliConfig(adminPort: number, serverPort: number): void {
  configFile = join(started.dir, 'cli.yaml');
  writeFileSync(
    configFile,
    [
      `server: { host: 127.0.0.1, port: ${serverPort} }`,
      `admin: { host: 127.0.0.1, port: ${adminPort}, tokens: { ops: "${TOKEN}" } }`,
      'identity: { require_signature: false }',
      'default_policy: allow',
      `storage: { sqlite: ${JSON.stringify(started.dbPath)} }`,
    ].join('\n'),
  );
}

beforeAll(async () => {
  started = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: `admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${TOKEN}" } }`,
  });
  writeCliConfig(Number(new URL(started.gateway.adminUrl as string).port), Number(new URL(started.url).port));
});

afterAll(async () => {
  await started?.stop();
});

describe('agents through the running gateway', () => {
  it('a suspended agent is refused with -32082 on its next request; others are not', async () => {
    expect(await echoAs('bot')).toEqual({ ok: true });
    const suspend = await cli('agents', 'suspend', 'bot', '--reason', 'leaked a token');
    expect(suspend.code).toBe(0);
    expect(suspend.out).toMatch(/bot\s+suspended by ops — leaked a token/);
    expect(await echoAs('bot')).toEqual({ ok: false, code: -32082, reason: 'suspended' });
    expect(await echoAs('other-bot')).toEqual({ ok: true });
  });

  it('lists agents as JSON, with who suspended them', async () => {
    const list = await cli('agents', 'list', '--json');
    expect(list.code).toBe(0);
    const views = list.out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(views).toContainEqual(expect.objectContaining({ agent: 'bot', suspended: true, suspended_by_operator: true, updated_by: 'ops' }));
  });

  it('unsuspend lets the agent through again', async () => {
    expect((await cli('agents', 'unsuspend', 'bot')).code).toBe(0);
    expect(await echoAs('bot')).toEqual({ ok: true });
  });

  it('records each change as an audit event with the reviewer', async () => {
    const events = (await readAudit(started.dbPath, { decision: 'event' })).filter((row) => row.agent === 'bot');
    expect(events.map((row) => row.method)).toEqual(['agent.suspended', 'agent.unsuspended']);
    expect(events[0]?.detail).toBe('by ops: leaked a token');
  });

  it('refuses a bad agent name and an unknown reviewer as usage errors', async () => {
    expect((await cli('agents', 'suspend', '../etc')).code).toBe(2);
    expect((await cli('agents', 'suspend', 'bot', '--reviewer', 'mallory')).code).toBe(2);
    expect((await cli('agents', 'frobnicate')).code).toBe(2);
  });

  it('the admin API refuses a request without the token', async () => {
    const response = await fetch(`${started.gateway.adminUrl}/v1/admin/agents/bot/suspend`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(await echoAs('bot')).toEqual({ ok: true });
  });
});

describe('agents with no gateway running', () => {
  it('changes the stored state, which the next gateway start enforces', async () => {
    // Point the CLI at listeners where nothing runs, with the same database.
    writeCliConfig(await freePort(), await freePort());
    const suspend = await cli('agents', 'suspend', 'sleeper', '--reason', 'offline change');
    expect(suspend.code).toBe(0);
    expect(suspend.out).toContain('No gateway is running');
    const list = await cli('agents', 'list', '--json');
    expect(list.out).toContain('"agent":"sleeper"');
  });
});
