/**
 * Guard cost (DESIGN.md §6: one guard call ≤ 0.2 ms p50 including isolation; a looping guard stopped within
 * `timeout_ms` + 50 ms), in process, through the production GuardHost: worker threads, the main-thread watchdog, the
 * output checks. Measured: a chain of one do-nothing guard (the isolation floor), chains of one and four of them
 * (the marginal cost of a guard inside a chain), the three shipped example guards turned on over a realistic call,
 * and a guard that loops on hostile input while calls on the other worker keep being answered.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuardEnvelope, GuardPhase } from '../src/guard-runtime/abi.js';
import { GuardHost } from '../src/guard-runtime/guard-host.js';
import { createSilentLogger } from '../src/observability/logger.js';
import { watGuard, writeGuard } from '../test/helpers/wat-guards.js';
import { type Summary, summarize } from './lib/stats.js';

/** The shipped example guards with their configs turned on (they ship inert), as an operator would run them. */
export const ACTIVE_EXAMPLE_GUARDS: Readonly<Record<string, Record<string, unknown>>> = {
  'pattern-guard': { priority: 100, phases: ['request'], config: { patterns: ['drop table', 'rm -rf /', '169.254.169.254'] } },
  'pii-redact': { priority: 200, phases: ['response'], config: { emails: true, cards: true } },
  'lethal-trifecta': {
    priority: 300,
    phases: ['request', 'response'],
    config: { untrusted_backends: ['web', 'mail'], egress_tools: ['send_email', 'http_post', 'write_file'] },
  },
};

/** Copies the shipped example guards into `dir` with ACTIVE_EXAMPLE_GUARDS as their manifests. */
export function writeActiveExampleGuards(repoRoot: string, dir: string): void {
  for (const [name, manifest] of Object.entries(ACTIVE_EXAMPLE_GUARDS)) {
    copyFileSync(join(repoRoot, 'guards', `${name}.wasm`), join(dir, `${name}.wasm`));
    writeFileSync(join(dir, `${name}.guard.yaml`), `${JSON.stringify({ name, timeout_ms: 50, ...manifest }, null, 2)}\n`);
  }
}

export interface GuardChainResult {
  readonly label: string;
  readonly guards: number;
  readonly summary: Summary;
}

export interface GuardResult {
  readonly workers: number;
  readonly chains: readonly GuardChainResult[];
  /** (p50 of four do-nothing guards − p50 of one) / 3. */
  readonly marginalP50Ms: number;
  readonly loop: {
    readonly timeoutMs: number;
    /** How long each looping call took to be answered (stopped by the watchdog). */
    readonly stoppedMs: readonly number[];
    /** Calls answered by the other worker while the loops ran. */
    readonly concurrent: Summary;
  };
}

const ENVELOPE: Omit<GuardEnvelope, 'phase'> = {
  call_id: 'bench-1',
  agent: 'bench',
  backend: 'files',
  tool: 'read_file',
  arguments: { path: '/srv/app/README.md', encoding: 'utf8' },
  result: null,
  tools: null,
};
const RESULT = {
  content: [
    {
      type: 'text',
      text: 'Portcullis release notes. Questions to maintainers@example.com; the billing test card is 4111 1111 1111 1111. '.repeat(4),
    },
  ],
};
const ALLOW = '{"decision":"allow"}';
const INPUT_LENGTH = '(import "extism:host/env" "input_length" (func $input_length (result i64)))';
/** Allows, but loops forever when its input is over 2 KB: a well-meaning guard with a hostile input. */
const LOOPS_ON_LONG_INPUT = {
  wat: '(if (i64.gt_u (call $input_length) (i64.const 2000)) (then (loop $forever (br $forever))))\n    (call $out (i32.const 64) (i32.const 20))',
};

async function withHost<T>(setup: (dir: string) => Promise<void> | void, workers: number, body: (host: GuardHost) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-guards-'));
  const host = new GuardHost({ dir, workers, logger: createSilentLogger(), watch: false });
  try {
    await setup(dir);
    await host.start(); // throws when a guard is refused
    return await body(host);
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Times `calls` sequential runs of `phase` after `warmup`; every verdict must match `expect`. */
async function timeChain(host: GuardHost, phase: GuardPhase, envelope: Omit<GuardEnvelope, 'phase'>, calls: number, warmup: number, expect: 'allow' | 'deny'): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const started = performance.now();
    const verdict = await host.run(phase, envelope, `bench-session-${i % 8}`);
    const ms = performance.now() - started;
    if (verdict.decision !== expect || verdict.failures.length > 0)
      throw new Error(`guard bench: expected ${expect}, got ${verdict.decision} ${JSON.stringify(verdict.failures)}`);
    if (i >= warmup) samples.push(ms);
  }
  return summarize(samples);
}

async function noopChain(count: number, workers: number, calls: number, warmup: number): Promise<GuardChainResult> {
  const summary = await withHost(
    async (dir) => {
      for (let i = 0; i < count; i++) await writeGuard(dir, `noop-${i}`, watGuard({ name: `noop-${i}`, request: ALLOW }), { priority: i + 1 });
    },
    workers,
    (host) => timeChain(host, 'request', ENVELOPE, calls, warmup, 'allow'),
  );
  return { label: `${count} do-nothing guard${count === 1 ? '' : 's'} (request)`, guards: count, summary };
}

async function exampleChains(repoRoot: string, workers: number, calls: number, warmup: number): Promise<GuardChainResult[]> {
  return withHost(
    (dir) => writeActiveExampleGuards(repoRoot, dir),
    workers,
    async (host) => [
      {
        label: 'examples, request: pattern-guard + lethal-trifecta',
        guards: 2,
        summary: await timeChain(host, 'request', ENVELOPE, calls, warmup, 'allow'),
      },
      {
        label: 'examples, response: pii-redact (masks 8) + lethal-trifecta',
        guards: 2,
        summary: await timeChain(host, 'response', { ...ENVELOPE, result: RESULT }, calls, warmup, 'allow'),
      },
    ],
  );
}

async function loopingGuard(workers: number, rounds: number): Promise<GuardResult['loop']> {
  const timeoutMs = 50;
  const stoppedMs: number[] = [];
  const concurrent: number[] = [];
  const long = { ...ENVELOPE, arguments: { path: 'x'.repeat(4_000) } };
  // A fresh host per round: a guard that timed out is benched for 5 s, and the bench measures the watchdog.
  for (let round = 0; round < rounds; round++) {
    await withHost(
      async (dir) => void (await writeGuard(dir, 'loops', watGuard({ name: 'loops', request: LOOPS_ON_LONG_INPUT, text: ALLOW, imports: [INPUT_LENGTH] }), { timeout_ms: timeoutMs, failure_mode: 'fail_closed' })),
      workers,
      async (host) => {
        const started = performance.now();
        let looping = true;
        const stuck = host.run('request', long, 'hostile').then((verdict) => {
          stoppedMs.push(performance.now() - started);
          looping = false;
          if (verdict.failures[0]?.kind !== 'timeout') throw new Error(`the looping guard was not stopped by timeout: ${JSON.stringify(verdict)}`);
        });
        while (looping) {
          const t = performance.now();
          const verdict = await host.run('request', ENVELOPE, 'other');
          if (looping && verdict.decision === 'allow') concurrent.push(performance.now() - t);
        }
        await stuck;
      },
    );
  }
  return { timeoutMs, stoppedMs, concurrent: summarize(concurrent) };
}

export async function measureGuards(repoRoot: string, quick: boolean): Promise<GuardResult> {
  const workers = 2;
  const calls = quick ? 300 : 3_000;
  const warmup = quick ? 50 : 300;
  const one = await noopChain(1, workers, calls, warmup);
  const four = await noopChain(4, workers, calls, warmup);
  const examples = await exampleChains(repoRoot, workers, calls, warmup);
  const loop = await loopingGuard(workers, quick ? 1 : 5);
  return { workers, chains: [one, four, ...examples], marginalP50Ms: (four.summary.p50 - one.summary.p50) / 3, loop };
}
