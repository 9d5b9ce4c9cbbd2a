/**
 * A guard worker thread: hosts one Extism instance of every guard in the chain and runs whole chains, so a message
 * costs one round trip however many guards judge it. It never enforces its own deadline — a guest in an infinite
 * loop cannot be interrupted from inside — the main thread's watchdog reads the progress cells and terminates the
 * thread. Everything a guard writes is checked here (abi.ts) before it can affect a call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import createPlugin, { type CallContext, type Plugin } from '@extism/extism';
import { type FailureKind, type GuardDecision, OUTPUT_LIMITS, PHASE_EXPORT, applyRedactions, parseDecision } from './abi.js';
import { PAGE_BYTES } from './wasm-inspect.js';
import { type ChainOutcome, type Described, type GuardCall, type GuardFailure, PROGRESS, type RunJob, type WorkerData, type WorkerGuard } from './worker-protocol.js';

const data = workerData as WorkerData;
const port = parentPort!;
const running = new Int32Array(data.progress, 0, 2);
const startedAt = new Float64Array(data.progress, PROGRESS.startedByteOffset, 1);

/** guard_log: per guard, a burst of 20 lines then 5 a second; each line at most 512 characters. */
const LOG_LIMITS = { burst: 20, perSecond: 5, chars: 512, perChain: 32 } as const;

let logs: { guard: number; message: string }[] = [];
let current = -1;
const buckets = data.guards.map(() => ({ tokens: LOG_LIMITS.burst as number, at: Date.now() }));

function guardLog(message: string): void {
  if (current < 0 || logs.length >= LOG_LIMITS.perChain) return;
  const bucket = buckets[current]!;
  const now = Date.now();
  bucket.tokens = Math.min(LOG_LIMITS.burst, bucket.tokens + ((now - bucket.at) / 1000) * LOG_LIMITS.perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return;
  bucket.tokens -= 1;
  logs.push({ guard: current, message: message.length > LOG_LIMITS.chars ? `${message.slice(0, LOG_LIMITS.chars)}…` : message });
}

const kernelLogger = {
  trace: guardLog, debug: guardLog, info: guardLog, log: guardLog, warn: guardLog, error: guardLog,
} as unknown as Console;

function makePlugin(guard: WorkerGuard): Promise<Plugin> {
  return createPlugin(
    { wasm: [{ module: guard.module }] },
    {
      useWasi: false,
      runInWorker: false,
      logger: kernelLogger,
      logLevel: 'info',
      allowedHosts: [],
      allowedPaths: {},
      // Caps what the guest allocates through the kernel; its own linear memory is capped by its declared maximum.
      memory: { maxPages: guard.memoryMaxPages, maxVarBytes: 65_536, maxHttpResponseBytes: 0 },
      functions: {
        'extism:host/user': {
          guard_log(context: CallContext, offset: bigint) {
            const text = context.read(offset)?.text();
            if (text !== undefined) guardLog(text);
          },
          guard_now_ms: () => BigInt(Date.now()),
        },
      },
    },
  );
}

const plugins: Plugin[] = [];

async function call(index: number, fn: string, input: string): Promise<{ bytes: Uint8Array } | { kind: FailureKind; message: string }> {
  const plugin = plugins[index]!;
  current = index;
  startedAt[0] = Date.now();
  Atomics.store(running, PROGRESS.guardCell, index + 1);
  try {
    const output = await plugin.call(fn, input);
    if (!output) return { kind: 'invalid_output', message: `${fn} wrote no output` };
    const bytes = output.bytes();
    if (bytes.byteLength > OUTPUT_LIMITS.bytes) return { kind: 'oversized_output', message: `${fn} wrote ${bytes.byteLength} bytes (limit ${OUTPUT_LIMITS.bytes})` };
    return { bytes: bytes.slice() };
  } catch (error) {
    const kind = (await atMemoryLimit(index)) ? 'memory' : 'trap';
    // A trapped instance may be in any state: replace it.
    plugins[index] = await makePlugin(data.guards[index]!);
    return { kind, message: String((error as Error)?.message ?? error).slice(0, 300) };
  } finally {
    Atomics.store(running, PROGRESS.guardCell, 0);
    current = -1;
    // Instances wear out without a reset between calls (DESIGN.md §5).
    await plugins[index]!.reset();
  }
}

async function atMemoryLimit(index: number): Promise<boolean> {
  try {
    const memory = (await plugins[index]!.getInstance()).exports.memory;
    return memory instanceof WebAssembly.Memory && memory.buffer.byteLength >= (data.guards[index]!.memoryMaxPages - 1) * PAGE_BYTES;
  } catch {
    return false;
  }
}

async function runChain(job: RunJob): Promise<ChainOutcome> {
  logs = [];
  const envelope = JSON.parse(job.envelope) as Record<string, unknown>;
  let body = job.envelope;
  const labels = new Set(job.sessionLabels);
  const added: string[] = [];
  const calls: GuardCall[] = [];
  const failures: GuardFailure[] = [];
  const redactions: { guard: number; path: string; start: number; end: number; replacement: string }[] = [];
  const fn = PHASE_EXPORT[job.phase];
  const finish = (decision: GuardDecision['decision'], extra: Partial<ChainOutcome> = {}): ChainOutcome => ({
    decision, labels: added, calls, failures, redactions, logs,
    ...(redactions.length > 0 ? { redacted: { value: envelope[payloadKey(job.phase)] } } : {}),
    ...extra,
  });
  for (const index of job.order) {
    const guard = data.guards[index]!;
    const input = `{"config":${job.configs?.[index] ?? guard.configJson},"session_labels":${JSON.stringify([...labels])},${body.slice(1)}`;
    const started = performance.now();
    const result = await call(index, fn, input);
    const ms = performance.now() - started;
    let failure: GuardFailure | undefined;
    let decision: GuardDecision | undefined;
    if ('kind' in result) failure = { guard: index, kind: result.kind, message: result.message };
    else {
      const parsed = parseDecision(result.bytes);
      if (!parsed.ok) failure = { guard: index, kind: 'invalid_output', message: parsed.message };
      else decision = parsed.value;
    }
    if (decision && decision.redactions.length > 0) {
      const applied = applyRedactions(envelope, job.phase, decision.redactions);
      if (applied.ok) {
        body = JSON.stringify(envelope);
        for (const r of decision.redactions) redactions.push({ guard: index, path: r.path, start: r.start, end: r.end, replacement: r.replacement });
      } else {
        failure = { guard: index, kind: 'invalid_output', message: applied.message };
        decision = undefined;
      }
    }
    calls.push({ guard: index, ms, outcome: decision?.decision ?? 'failed' });
    if (failure) {
      failures.push(failure);
      if (guard.failureMode === 'fail_closed') return finish('deny', { guard: index, code: `guard_error:${failure.kind}` });
      continue;
    }
    for (const label of decision!.labels) {
      if (!labels.has(label)) {
        labels.add(label);
        added.push(label);
      }
    }
    if (decision!.decision !== 'allow') {
      return finish(decision!.decision, { guard: index, ...(decision!.code ? { code: decision!.code } : {}), ...(decision!.reason ? { reason: decision!.reason } : {}) });
    }
  }
  return finish('allow');
}

function payloadKey(phase: RunJob['phase']): string {
  return phase === 'request' ? 'arguments' : phase === 'response' ? 'result' : 'tools';
}

async function start(): Promise<void> {
  // Instantiation runs a module's start function: mark which guard is loading, so the watchdog can name it.
  for (const [index, guard] of data.guards.entries()) {
    startedAt[0] = Date.now();
    Atomics.store(running, PROGRESS.guardCell, index + 1);
    plugins.push(await makePlugin(guard));
  }
  Atomics.store(running, PROGRESS.guardCell, 0);
  const described: Described[] = [];
  if (data.describe) {
    for (const [index] of data.guards.entries()) {
      const result = await call(index, 'guard_describe', '');
      described.push('bytes' in result ? { ok: true, output: result.bytes } : { ok: false, message: `guard_describe failed (${result.kind}): ${result.message}` });
    }
  }
  // Jobs run one at a time: an Extism instance is not reentrant.
  let queue = Promise.resolve();
  port.on('message', (job: RunJob) => {
    queue = queue.then(async () => {
      Atomics.store(running, PROGRESS.seqCell, job.seq);
      const outcome = await runChain(job);
      port.postMessage({ type: 'done', seq: job.seq, outcome });
    });
  });
  port.postMessage({ type: 'ready', described });
}

start().catch((error: unknown) => port.postMessage({ type: 'fatal', message: String((error as Error)?.message ?? error) }));
