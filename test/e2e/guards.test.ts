/**
 * WASM guards through the real gateway (issue: WASM guards): the shipped example guards deny, redact and stop a
 * lethal trifecta per session; a guard dropped into the folder takes effect without a restart and a removed one
 * stops; hostile guards are refused or contained per failure_mode while other requests keep flowing. Real SDK
 * client, real backends over stdio, real worker threads.
 */
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, requestRows } from '../helpers/audit.js';
import { REPO_ROOT, filesystemStdio, fixtureStdio } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';
import { HOSTILE, watGuard, writeGuard, writeManifest } from '../helpers/wat-guards.js';

let guardsDir: string;
let sandbox: string;
let started: StartedGateway;
let conn: ConnectedClient;

function shipGuard(name: string, manifest: Record<string, unknown>): void {
  copyFileSync(join(REPO_ROOT, 'guards', `${name}.wasm`), join(guardsDir, `${name}.wasm`));
  writeManifest(guardsDir, name, manifest);
}

function removeGuard(name: string): void {
  unlinkSync(join(guardsDir, `${name}.wasm`));
  unlinkSync(join(guardsDir, `${name}.guard.yaml`));
}

async function refusal(client: ConnectedClient, name: string, args: Record<string, unknown>): Promise<{ code: number; data: Record<string, unknown> }> {
  try {
    await client.client.callTool({ name, arguments: args });
  } catch (error) {
    return error as { code: number; data: Record<string, unknown> };
  }
  throw new Error(`${name} was not refused`);
}

async function echo(client: ConnectedClient, text: string): Promise<string> {
  const result = await client.client.callTool({ name: 'content__echo', arguments: { text } });
  return (result.content as { text: string }[])[0]!.text;
}

async function health(): Promise<{ guards: { active: string[]; refused?: { name: string; problems: string[] }[] } }> {
  return (await (await fetch(`${started.origin}/healthz`)).json()) as never;
}

beforeAll(async () => {
  guardsDir = mkdtempSync(join(tmpdir(), 'portcullis-guards-e2e-'));
  sandbox = mkdtempSync(join(tmpdir(), 'portcullis-guards-sandbox-'));
  shipGuard('pattern-guard', { priority: 100, phases: ['request'], config: { patterns: ['drop_table'] } });
  shipGuard('pii-redact', { priority: 200, phases: ['response'], config: { emails: true, cards: true } });
  shipGuard('lethal-trifecta', { priority: 300, config: { untrusted_backends: ['content'], egress_tools: ['write_file'] } });
  started = await startGateway({
    backends: { content: fixtureStdio('content-server.mjs'), files: filesystemStdio(sandbox) },
    yaml: `guards: { dir: ${JSON.stringify(guardsDir)} }`,
  });
  conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
});

afterAll(async () => {
  await conn?.close();
  await started?.stop();
  rmSync(guardsDir, { recursive: true, force: true });
  rmSync(sandbox, { recursive: true, force: true });
});

describe('the example guards', () => {
  it('the pattern guard denies a call whose arguments match, with the guard and its code', async () => {
    const error = await refusal(conn, 'content__echo', { text: 'please DROP_TABLE users' });
    expect(error.code).toBe(-32085);
    expect(error.data).toMatchObject({ reason: 'guard_blocked', guard: 'pattern-guard', code: 'pattern_match' });
    expect(await echo(conn, 'a harmless sentence')).toBe('a harmless sentence');
  });

  it('the redaction guard masks emails and card numbers in a result, and the audit log stores the masked one', async () => {
    const text = await echo(conn, 'Zoë <zoë@example.com> paid with 4111 1111 1111 1111.');
    expect(text).toBe('Zoë <[email]> paid with [card].');
    const rows = await requestRows(started.dbPath, 'tools/call', { tool: 'echo' });
    const row = rows.find((r) => r.payload?.includes('[card]'));
    // The guard masks results (what the backend sent); the caller's own arguments are stored as they were sent.
    const stored = JSON.parse(row?.payload ?? '{}') as { response?: unknown };
    expect(JSON.stringify(stored.response)).toContain('[card]');
    expect(JSON.stringify(stored.response)).not.toContain('4111 1111');
    expect(row?.findings).toContainEqual(expect.objectContaining({ source: 'guard', id: 'pii-redact' }));
  });

  it('the trifecta guard denies egress after an untrusted read in the same session, not in another', async () => {
    const fresh = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
    try {
      const target = join(sandbox, 'clean.txt');
      await fresh.client.callTool({ name: 'files__write_file', arguments: { path: target, content: 'ok' } });
      await echo(conn, 'anything from the untrusted backend');
      const error = await refusal(conn, 'files__write_file', { path: join(sandbox, 'leak.txt'), content: 'secrets' });
      expect(error.data).toMatchObject({ reason: 'guard_blocked', guard: 'lethal-trifecta', code: 'lethal_trifecta' });
      // The other session never read untrusted input: its egress still works.
      const again = await fresh.client.callTool({ name: 'files__write_file', arguments: { path: target, content: 'still ok' } });
      expect(again.isError).not.toBe(true);
    } finally {
      await fresh.close();
    }
  });
});

describe('hot reload', () => {
  it('a guard dropped into the folder takes effect within 2 s without a restart, and a removed one stops', async () => {
    await writeGuard(guardsDir, 'no-echo', watGuard({ name: 'no-echo', request: '{"decision":"deny","code":"no_echo"}' }), { priority: 1 });
    const dropped = Date.now();
    await waitUntil(async () => (await refusal(conn, 'content__echo', { text: 'x' }).catch(() => undefined))?.data.code === 'no_echo', 4_000, 'the dropped guard');
    expect(Date.now() - dropped).toBeLessThan(2_500);
    removeGuard('no-echo');
    await waitUntil(async () => (await echo(conn, 'back').catch(() => '')) === 'back', 4_000, 'the removed guard to stop');
    const events = (await readAudit(started.dbPath)).filter((r) => r.kind === 'event' && r.method === 'guards.loaded');
    expect(events.some((e) => e.detail?.includes('no-echo'))).toBe(true);
  });
});

describe('hostile guards', () => {
  it.each([
    ['an undeclared import', { imports: ['(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'] }, {}, /not granted/],
    ['no memory maximum', { memory: '1' }, {}, /no memory maximum/],
    ['a wrong sha256', {}, { sha256: 'ab'.repeat(32) }, /manifest pins/],
  ])('refuses a guard with %s dropped in while running; traffic is untouched and the refusal reported', async (_name, wat, manifest, why) => {
    await writeGuard(guardsDir, 'bad', watGuard({ name: 'bad', request: '{"decision":"deny","code":"bad"}', ...wat }), manifest);
    await started.gateway.reloadGuards();
    const refused = (await health()).guards.refused ?? [];
    expect(refused.find((r) => r.name === 'bad')?.problems.join(' ')).toMatch(why);
    expect(await echo(conn, 'still served')).toBe('still served');
    const events = (await readAudit(started.dbPath)).filter((r) => r.method === 'guards.refused');
    expect(events.at(-1)?.detail).toMatch(why);
    removeGuard('bad');
    await started.gateway.reloadGuards();
  });

  it.each([
    ['a trap', HOSTILE.trap, 'guard_error:trap'],
    ['a memory bomb', HOSTILE.memoryBomb, 'guard_error:memory'],
    ['garbage output', '\u0000\u00ff{{ not json', 'guard_error:invalid_output'],
  ])('contains %s under fail_closed, and other guards and calls keep working', async (_name, body, code) => {
    await writeGuard(guardsDir, 'hostile', watGuard({ name: 'hostile', request: body }), { priority: 1 });
    await started.gateway.reloadGuards();
    const error = await refusal(conn, 'content__echo', { text: 'x' });
    expect(error.data).toMatchObject({ reason: 'guard_blocked', guard: 'hostile', code });
    expect((await conn.client.listTools()).tools.length).toBeGreaterThan(0);
    removeGuard('hostile');
    await started.gateway.reloadGuards();
    expect(await echo(conn, 'recovered')).toBe('recovered');
  });

  it('stops an infinite loop within the timeout, never blocks other requests, and fail_open lets the call through', async () => {
    await writeGuard(guardsDir, 'looper', watGuard({ name: 'looper', request: HOSTILE.loop }), { priority: 1, timeout_ms: 50 });
    await started.gateway.reloadGuards();
    const started1 = performance.now();
    const looping = refusal(conn, 'content__echo', { text: 'x' });
    // While the guard spins in a worker, the gateway's event loop serves everything else.
    const listStarted = performance.now();
    await conn.client.listTools();
    const listMs = performance.now() - listStarted;
    const error = await looping;
    const loopMs = performance.now() - started1;
    expect(error.data).toMatchObject({ reason: 'guard_blocked', guard: 'looper', code: 'guard_error:timeout' });
    expect(loopMs).toBeLessThan(5_000);
    expect(listMs).toBeLessThan(5_000);
    // Benched: answered at once by its failure_mode, without tying up a worker.
    const benchedAt = performance.now();
    expect((await refusal(conn, 'content__echo', { text: 'x' })).data.code).toBe('guard_error:timeout');
    expect(performance.now() - benchedAt).toBeLessThan(1_000);
    // Under fail_open the same guard is skipped and the call is served.
    writeManifest(guardsDir, 'looper', { priority: 1, timeout_ms: 50, failure_mode: 'fail_open' });
    await started.gateway.reloadGuards();
    expect(await echo(conn, 'served')).toBe('served');
    removeGuard('looper');
    await started.gateway.reloadGuards();
  });
});
