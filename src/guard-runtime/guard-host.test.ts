/**
 * The guard host with real worker threads and real Extism instances, over guards written in WebAssembly text:
 * priority order, labels, failure modes, the watchdog, benching, recovery and hot reload.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../observability/logger.js';
import { HOSTILE, watGuard, writeGuard } from '../../test/helpers/wat-guards.js';
import { GuardHost, GuardLoadError } from './guard-host.js';

const ENVELOPE = { call_id: 'c1', agent: 'analyst', backend: 'files', tool: 'read_file', arguments: { path: '/tmp/x' }, result: null, tools: null };
const ALLOW = '{"decision":"allow"}';
/** Loops forever when its input is longer than 600 bytes, else allows: hostile input, a well-meaning guard. */
const LOOPS_ON_LONG_INPUT = {
  wat: '(if (i64.gt_u (call $input_length) (i64.const 600)) (then (loop $forever (br $forever))))\n    (call $out (i32.const 64) (i32.const 20))',
};

let dir: string;
let host: GuardHost | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-guards-'));
});
afterEach(async () => {
  await host?.close();
  host = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: Partial<ConstructorParameters<typeof GuardHost>[0]> = {}): Promise<GuardHost> {
  host = new GuardHost({ dir, workers: 2, logger: createSilentLogger(), watch: false, ...options });
  await host.start();
  return host;
}

describe('GuardHost', () => {
  it('runs guards in priority order; a deny stops the chain and labels accumulate per session', async () => {
    await writeGuard(dir, 'labeller', watGuard({ name: 'labeller', request: '{"decision":"allow","labels":["seen"]}' }), { priority: 1 });
    await writeGuard(dir, 'denier', watGuard({ name: 'denier', request: '{"decision":"deny","code":"nope","reason":"Zoë says no"}' }), { priority: 5 });
    await writeGuard(dir, 'never-reached', watGuard({ name: 'never-reached', request: '{"decision":"quarantine","code":"late"}' }), { priority: 9 });
    const h = await open();
    const verdict = await h.run('request', ENVELOPE, 's1');
    expect(verdict).toMatchObject({ decision: 'deny', guard: 'denier', code: 'nope', reason: 'Zoë says no', labels: ['seen'] });
    expect(h.sessionLabels('s1')).toEqual(['seen']);
    expect(h.sessionLabels('s2')).toEqual([]);
    expect(h.status().map((g) => [g.name, g.calls])).toEqual([['labeller', 1], ['denier', 1], ['never-reached', 0]]);
  });

  it('skips guards that do not handle the phase', async () => {
    await writeGuard(dir, 'responses-only', watGuard({ name: 'responses-only', response: '{"decision":"deny","code":"r"}' }));
    const h = await open();
    expect((await h.run('request', ENVELOPE, 's1')).decision).toBe('allow');
    expect(await h.run('response', { ...ENVELOPE, result: { content: [] } }, 's1')).toMatchObject({ decision: 'deny', code: 'r' });
  });

  it('stops a looping guard within timeout_ms + 50 ms, benches it, and it works again afterwards', async () => {
    await writeGuard(
      dir,
      'picky',
      watGuard({ name: 'picky', request: LOOPS_ON_LONG_INPUT, text: ALLOW, imports: ['(import "extism:host/env" "input_length" (func $input_length (result i64)))'] }),
      { timeout_ms: 50 },
    );
    const h = await open({ benchMs: 300 });
    expect((await h.run('request', ENVELOPE, 's1')).decision).toBe('allow');
    const long = { ...ENVELOPE, arguments: { text: 'x'.repeat(2_000) } };
    let started = performance.now();
    const looped = await h.run('request', long, 's1');
    const stoppedMs = performance.now() - started;
    expect(looped).toMatchObject({ decision: 'deny', guard: 'picky', code: 'guard_error:timeout' });
    expect(stoppedMs).toBeLessThan(1_000); // budget: 50 ms + 50 ms; the bound here is loose on purpose
    started = performance.now();
    expect(await h.run('request', ENVELOPE, 's1')).toMatchObject({ decision: 'deny', code: 'guard_error:timeout' });
    expect(performance.now() - started).toBeLessThan(20); // benched: answered without running it
    expect(h.status()[0]).toMatchObject({ status: 'benched', failures: { timeout: 1 } });
    await new Promise((r) => setTimeout(r, 350));
    await expect.poll(async () => (await h.run('request', ENVELOPE, 's1')).decision, { timeout: 5_000 }).toBe('allow');
  });

  it('fail_open: a looping guard is skipped and the rest of the chain still runs', async () => {
    await writeGuard(dir, 'looper', watGuard({ name: 'looper', request: HOSTILE.loop }), { priority: 1, failure_mode: 'fail_open', timeout_ms: 30 });
    await writeGuard(dir, 'labeller', watGuard({ name: 'labeller', request: '{"decision":"allow","labels":["after"]}' }), { priority: 2 });
    const h = await open();
    const verdict = await h.run('request', ENVELOPE, 's1');
    expect(verdict).toMatchObject({ decision: 'allow', labels: ['after'] });
    expect(verdict.failures).toEqual([expect.objectContaining({ guard: 'looper', kind: 'timeout' })]);
  });

  it.each([
    ['trap', HOSTILE.trap, 'guard_error:trap'],
    ['memory bomb', HOSTILE.memoryBomb, 'guard_error:memory'],
    ['garbage output', 'not json \u00ff at all', 'guard_error:invalid_output'],
    ['a decision outside the ABI', '{"decision":"maybe"}', 'guard_error:invalid_output'],
    ['a redaction of something that is not there', '{"decision":"allow","redactions":[{"path":"/arguments/nope","start":0,"end":1}]}', 'guard_error:invalid_output'],
    ['oversized output', 'x'.repeat(70_000), 'guard_error:oversized_output'],
  ])('contains a guard that fails by %s (fail_closed)', async (_name, body, code) => {
    await writeGuard(dir, 'hostile', watGuard({ name: 'hostile', request: body, memory: '2 16' }), {});
    const h = await open();
    expect(await h.run('request', ENVELOPE, 's1')).toMatchObject({ decision: 'deny', guard: 'hostile', code });
    // The instance was replaced; the guard keeps answering.
    expect(await h.run('request', ENVELOPE, 's1')).toMatchObject({ decision: 'deny', code });
  });

  it('applies redactions and passes the redacted payload on', async () => {
    await writeGuard(dir, 'redactor', watGuard({ name: 'redactor', request: '{"decision":"allow","redactions":[{"path":"/arguments/path","start":1,"end":4,"replacement":"***"}]}' }));
    const h = await open();
    const verdict = await h.run('request', ENVELOPE, 's1');
    expect(verdict.redacted).toEqual({ value: { path: '/***/x' } });
    expect(verdict.redactions).toEqual([{ guard: 'redactor', path: '/arguments/path', start: 1, end: 4, replacement: '***' }]);
  });

  it.each([
    ['an undeclared import', { imports: ['(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'] }, {}, /not granted/],
    ['no memory maximum', { memory: '1' }, {}, /no memory maximum/],
    ['a memory maximum over max_memory_mb', { memory: '1 512' }, { max_memory_mb: 16 }, /over max_memory_mb/],
    ['a wrong sha256 pin', {}, { sha256: '0'.repeat(64) }, /manifest pins/],
  ])('refuses at start a guard with %s', async (_name, wat, manifest, problem) => {
    await writeGuard(dir, 'bad', watGuard({ name: 'bad', request: ALLOW, ...wat }), manifest);
    const h = new GuardHost({ dir, workers: 1, logger: createSilentLogger(), watch: false });
    const error = await h.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardLoadError);
    expect((error as GuardLoadError).problems.join('\n')).toMatch(problem);
  });

  it('refuses a module without a manifest, and a guard whose describe loops', async () => {
    await writeGuard(dir, 'lonely', watGuard({ name: 'lonely', request: ALLOW }));
    unlinkSync(join(dir, 'lonely.guard.yaml'));
    const h = new GuardHost({ dir, workers: 1, logger: createSilentLogger(), watch: false });
    expect(((await h.start().catch((e: unknown) => e)) as GuardLoadError).problems.join('\n')).toMatch(/has no manifest/);
  });

  it('hot reload: a new guard applies, a broken new version keeps the running one, a removed one stops', async () => {
    const h = await open({ watch: true, pollMs: 100, debounceMs: 20 });
    expect((await h.run('request', ENVELOPE, 's1')).decision).toBe('allow');
    await writeGuard(dir, 'denier', watGuard({ name: 'denier', request: '{"decision":"deny","code":"v1"}' }));
    await expect.poll(async () => (await h.run('request', ENVELOPE, 's1')).code, { timeout: 3_000 }).toBe('v1');
    // A broken edit: v2 without a memory maximum is refused, v1 keeps running and the refusal is reported.
    await writeGuard(dir, 'denier', watGuard({ name: 'denier', request: '{"decision":"deny","code":"v2"}', memory: '1' }));
    await expect.poll(() => h.status()[0]?.problems.join(' '), { timeout: 3_000 }).toMatch(/no memory maximum/);
    expect((await h.run('request', ENVELOPE, 's1')).code).toBe('v1');
    unlinkSync(join(dir, 'denier.wasm'));
    unlinkSync(join(dir, 'denier.guard.yaml'));
    await expect.poll(async () => (await h.run('request', ENVELOPE, 's1')).decision, { timeout: 3_000 }).toBe('allow');
    expect(h.status()).toEqual([]);
  });
});
