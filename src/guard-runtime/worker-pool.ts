/**
 * A small pool of guard workers with the deadline enforced from the main thread (docs/guards.md, "Isolation").
 * Each worker hosts an instance of every guard and runs whole chains; a guard past its `timeout_ms` is stopped by
 * terminating its worker (V8 interrupts even a tight wasm loop), the job is answered at once, and a replacement
 * worker starts in the background. The queue of waiting jobs is bounded, and so is how long a job may wait.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChainOutcome, Described, RunJob, WorkerData, WorkerGuard, WorkerMessage } from './worker-protocol.js';
import { PROGRESS } from './worker-protocol.js';

export type PoolResult =
  | { readonly ok: true; readonly outcome: ChainOutcome }
  /** The job did not finish: `guard` is the guard that was running (timeout, crash) if known. */
  | { readonly ok: false; readonly kind: 'timeout' | 'crash' | 'busy'; readonly guard?: number; readonly message: string };

export interface PoolOptions {
  readonly guards: readonly WorkerGuard[];
  readonly timeoutsMs: readonly number[];
  readonly size: number;
  /** Waiting jobs beyond this are answered `busy` at once. */
  readonly maxQueue: number;
  /** How long a job may wait for a worker before it is answered `busy`. */
  readonly maxWaitMs: number;
  readonly onWorkerLost?: (reason: string) => void;
}

/** How long a new worker may take to instantiate (and describe) every guard. */
const READY_TIMEOUT_MS = 10_000;
const DESCRIBE_TIMEOUT_MS = 1_000;

interface Slot {
  worker: Worker;
  readonly progress: Int32Array;
  readonly startedAt: Float64Array;
  ready: boolean;
  job?: { readonly seq: number; readonly resolve: (r: PoolResult) => void; readonly dispatchedAt: number; timer?: NodeJS.Timeout };
}

interface Waiting {
  readonly job: Omit<RunJob, 'type' | 'seq'>;
  readonly resolve: (r: PoolResult) => void;
  readonly timer: NodeJS.Timeout;
}

const here = import.meta.url;
/**
 * Run from TypeScript sources (tests, `tsx`), the worker needs tsx's loader registered inside it first; an
 * `--import` in execArgv does not reach a worker's module hooks on Node 20.
 */
function workerTarget(): { entry: URL | string; eval: boolean } {
  if (!here.endsWith('.ts')) return { entry: new URL('./worker.js', here), eval: false };
  // The ESM build of tsx's API (the `import` condition of `tsx/esm/api`; require.resolve would give the CJS one).
  const api = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./worker.ts', here).href;
  return { entry: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })`, eval: true };
}

function spawn(guards: readonly WorkerGuard[], describe: boolean): Slot {
  const progress = new SharedArrayBuffer(PROGRESS.bytes);
  const data: WorkerData = { guards, progress, describe };
  const target = workerTarget();
  const worker = new Worker(target.entry, {
    eval: target.eval,
    workerData: data,
    execArgv: ['--no-warnings'],
    // Bounds the JS side of a worker (the kernel's buffers); guest memory is bounded by its declared maximum.
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  // A guard has no stdout; anything a worker prints is noise from the runtime, dropped rather than left to buffer.
  worker.stdout.resume();
  worker.stderr.resume();
  return { worker, progress: new Int32Array(progress, 0, 2), startedAt: new Float64Array(progress, PROGRESS.startedByteOffset, 1), ready: false };
}

/** Waits for a new worker's `ready`; on a hang, says which guard was running. */
type Readiness = { ok: true; described: readonly Described[] } | { ok: false; guard?: number; message: string };

function whenReady(slot: Slot, describeCount: number): Promise<Readiness> {
  return new Promise((resolve) => {
    const budget = READY_TIMEOUT_MS + describeCount * DESCRIBE_TIMEOUT_MS;
    const started = Date.now();
    const watchdog = setInterval(() => {
      const running = Atomics.load(slot.progress, PROGRESS.guardCell);
      const guardOver = running > 0 && Date.now() - slot.startedAt[0]! > DESCRIBE_TIMEOUT_MS;
      if (guardOver || Date.now() - started > budget) {
        done({ ok: false, ...(running > 0 ? { guard: running - 1 } : {}), message: guardOver ? 'did not finish loading or guard_describe within 1 s' : 'worker did not start' });
      }
    }, 20);
    const onMessage = (message: WorkerMessage): void => {
      if (message.type === 'ready') done({ ok: true, described: message.described });
      else if (message.type === 'fatal') {
        const running = Atomics.load(slot.progress, PROGRESS.guardCell);
        done({ ok: false, ...(running > 0 ? { guard: running - 1 } : {}), message: message.message });
      }
    };
    const onExit = (error?: unknown): void => {
      const running = Atomics.load(slot.progress, PROGRESS.guardCell);
      const why = error instanceof Error ? `: ${error.message}` : '';
      done({ ok: false, ...(running > 0 ? { guard: running - 1 } : {}), message: `worker exited while loading${why}` });
    };
    const done = (result: Readiness): void => {
      clearInterval(watchdog);
      slot.worker.off('message', onMessage);
      slot.worker.off('exit', onExit);
      slot.worker.off('error', onExit);
      if (!result.ok) void slot.worker.terminate();
      resolve(result);
    };
    slot.worker.on('message', onMessage);
    slot.worker.once('exit', onExit);
    slot.worker.once('error', onExit);
  });
}

export type PoolStart =
  | { readonly ok: true; readonly pool: GuardPool; readonly described: readonly Described[] }
  | { readonly ok: false; readonly guard?: number; readonly message: string };

export class GuardPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  private seq = 0;
  private closed = false;
  private inflight = 0;

  private constructor(private readonly options: PoolOptions) {}

  /** Starts the pool: the first worker describes every guard; the rest start once that has worked. */
  static async start(options: PoolOptions): Promise<PoolStart> {
    const pool = new GuardPool(options);
    const first = spawn(options.guards, true);
    const ready = await whenReady(first, options.guards.length);
    if (!ready.ok) return ready;
    pool.adopt(first);
    const rest = Array.from({ length: Math.max(0, options.size - 1) }, () => spawn(options.guards, false));
    const results = await Promise.all(rest.map((slot) => whenReady(slot, 0)));
    rest.forEach((slot, i) => (results[i]!.ok ? pool.adopt(slot) : pool.replace(slot)));
    return { ok: true, pool, described: ready.described };
  }

  get busy(): number {
    return this.inflight;
  }

  run(job: Omit<RunJob, 'type' | 'seq'>): Promise<PoolResult> {
    if (this.closed) return Promise.resolve({ ok: false, kind: 'busy', message: 'the guard chain was replaced' });
    const slot = this.slots.find((s) => s.ready && !s.job);
    if (slot) return new Promise((resolve) => this.dispatch(slot, job, resolve));
    if (this.waiting.length >= this.options.maxQueue) {
      return Promise.resolve({ ok: false, kind: 'busy', message: `all guard workers are busy and ${this.waiting.length} calls wait` });
    }
    return new Promise((resolve) => {
      const waiting: Waiting = {
        job,
        resolve,
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiting);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve({ ok: false, kind: 'busy', message: `no guard worker was free within ${this.options.maxWaitMs} ms` });
        }, this.options.maxWaitMs),
      };
      this.waiting.push(waiting);
    });
  }

  /** Stops taking jobs; workers end once their job is done (bounded by `graceMs`). */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.resolve({ ok: false, kind: 'busy', message: 'the guard chain was replaced' });
    }
    const deadline = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private adopt(slot: Slot): void {
    slot.ready = true;
    if (!this.slots.includes(slot)) this.slots.push(slot);
    slot.worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    slot.worker.once('exit', () => this.onLost(slot, 'worker exited'));
    slot.worker.once('error', (error) => this.onLost(slot, `worker failed: ${error.message}`));
    this.drain();
  }

  private dispatch(slot: Slot, job: Omit<RunJob, 'type' | 'seq'>, resolve: (r: PoolResult) => void): void {
    const seq = ++this.seq;
    this.inflight++;
    slot.job = { seq, resolve, dispatchedAt: Date.now() };
    slot.worker.postMessage({ type: 'run', seq, ...job } satisfies RunJob);
    this.arm(slot, Math.min(...job.order.map((i) => this.options.timeoutsMs[i]!)) + 1);
  }

  /** The watchdog: wakes at the running guard's deadline and stops the worker if it is still on that guard. */
  private arm(slot: Slot, inMs: number): void {
    const job = slot.job;
    if (!job) return;
    job.timer = setTimeout(() => {
      if (slot.job !== job) return;
      const running = Atomics.load(slot.progress, PROGRESS.guardCell);
      const now = Date.now();
      if (running > 0 && Atomics.load(slot.progress, PROGRESS.seqCell) === job.seq) {
        const deadline = slot.startedAt[0]! + this.options.timeoutsMs[running - 1]!;
        if (now >= deadline) return this.kill(slot, { ok: false, kind: 'timeout', guard: running - 1, message: `ran past its ${this.options.timeoutsMs[running - 1]} ms` });
        return this.arm(slot, deadline - now + 1);
      }
      // Between guards or parsing: the whole chain still has a ceiling.
      const ceiling = this.options.timeoutsMs.reduce((a, b) => a + b, 0) + 1_000;
      if (now - job.dispatchedAt > ceiling) return this.kill(slot, { ok: false, kind: 'crash', message: 'the guard chain stalled outside any guard' });
      this.arm(slot, 2);
    }, Math.max(1, inMs));
  }

  private kill(slot: Slot, result: PoolResult): void {
    this.settle(slot, result);
    this.replace(slot);
  }

  private settle(slot: Slot, result: PoolResult): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(job.timer);
    slot.job = undefined;
    this.inflight--;
    job.resolve(result);
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'done' && slot.job?.seq === message.seq) {
      this.settle(slot, { ok: true, outcome: message.outcome });
      this.drain();
    } else if (message.type === 'fatal') {
      const running = Atomics.load(slot.progress, PROGRESS.guardCell);
      this.kill(slot, { ok: false, kind: 'crash', ...(running > 0 ? { guard: running - 1 } : {}), message: message.message });
    }
  }

  private onLost(slot: Slot, reason: string): void {
    if (!this.slots.includes(slot) || !slot.ready) return;
    const running = Atomics.load(slot.progress, PROGRESS.guardCell);
    this.settle(slot, { ok: false, kind: 'crash', ...(running > 0 ? { guard: running - 1 } : {}), message: reason });
    this.replace(slot);
  }

  /** Terminates a slot's worker and starts a replacement in the same place (30–100 ms; jobs meanwhile wait). */
  private replace(slot: Slot): void {
    slot.ready = false;
    const old = slot.worker;
    old.removeAllListeners('message');
    old.removeAllListeners('exit');
    old.removeAllListeners('error');
    void old.terminate();
    const at = this.slots.indexOf(slot);
    if (this.closed) {
      if (at >= 0) this.slots.splice(at, 1);
      return;
    }
    this.options.onWorkerLost?.('replacing a guard worker');
    const next = spawn(this.options.guards, false);
    if (at >= 0) this.slots[at] = next;
    else this.slots.push(next);
    void whenReady(next, 0).then((ready) => {
      if (this.closed) return void next.worker.terminate();
      if (ready.ok) this.adopt(next);
      else setTimeout(() => this.replace(next), 1_000).unref();
    });
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.job);
      if (!slot) return;
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      this.dispatch(slot, next.job, next.resolve);
    }
  }
}
