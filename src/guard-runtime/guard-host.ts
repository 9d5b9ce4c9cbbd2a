/**
 * The running guard chain: loads `guards/`, starts the worker pool, runs a phase's guards in priority order, keeps
 * session labels, benches a guard that timed out, and hot-reloads the directory. A reload builds a whole new chain
 * (verified, compiled, described in a fresh pool) and swaps it in at once; calls in flight finish on the old one.
 * A new or changed file that is refused leaves the running version of that guard in place and is reported.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { type DirectoryWatch, watchDirectory } from '../watch-directory.js';
import { type FailureKind, type GuardDescription, type GuardEnvelope, type GuardPhase, PHASE_EXPORT, parseDescription } from './abi.js';
import { GuardStats } from './guard-stats.js';
import { type GuardSpec, type RefusedGuard, loadGuardDir } from './load-guards.js';
import { SessionLabels } from './session-labels.js';
import { GuardPool, type PoolResult } from './worker-pool.js';
import type { ChainOutcome, WorkerGuard } from './worker-protocol.js';

export interface GuardMetrics {
  observeGuard(guard: string, outcome: string, seconds: number): void;
  countGuardFailure(guard: string, kind: FailureKind): void;
}

export interface GuardHostOptions {
  readonly dir: string;
  readonly workers: number;
  readonly logger: Logger;
  /** Watch the directory and reload on change (the gateway does; the CLI does not). */
  readonly watch: boolean;
  readonly metrics?: GuardMetrics;
  /** Told about every load and reload (the gateway writes an audit event). */
  readonly onReload?: (report: GuardReload) => void;
  readonly pollMs?: number;
  readonly debounceMs?: number;
  /** First back-off after a timeout (default 5 s; doubles per consecutive timeout up to 5 min). */
  readonly benchMs?: number;
}

export interface GuardReload {
  readonly at: string;
  readonly active: readonly string[];
  readonly refused: readonly RefusedGuard[];
}

export interface GuardVerdict {
  readonly decision: 'allow' | 'deny' | 'quarantine';
  readonly guard?: string;
  readonly code?: string;
  readonly reason?: string;
  /** Labels added by this chain. */
  readonly labels: readonly string[];
  readonly redacted?: { readonly value: unknown };
  readonly redactions: readonly { readonly guard: string; readonly path: string; readonly start: number; readonly end: number; readonly replacement: string }[];
  readonly failures: readonly { readonly guard: string; readonly kind: FailureKind; readonly message: string }[];
}

export interface GuardStatusRow {
  readonly name: string;
  readonly file: string;
  readonly status: 'active' | 'benched' | 'refused';
  readonly priority?: number;
  readonly phases?: readonly GuardPhase[];
  readonly failure_mode?: string;
  readonly timeout_ms?: number;
  readonly sha256?: string;
  readonly version?: string;
  readonly problems: readonly string[];
  readonly calls: number;
  readonly failures: Readonly<Partial<Record<FailureKind, number>>>;
  readonly p50_ms: number | null;
}

interface ActiveGuard {
  readonly spec: GuardSpec;
  readonly description: GuardDescription;
  readonly stats: GuardStats;
  bench: { until: number; strikes: number };
}

interface Chain {
  readonly guards: readonly ActiveGuard[];
  readonly pool: GuardPool | undefined;
}

/** Back-off after a timeout: 5 s, doubling per consecutive timeout, at most 5 min. */
const BENCH = { firstMs: 5_000, maxMs: 300_000 } as const;
const ALLOW: GuardVerdict = { decision: 'allow', labels: [], redactions: [], failures: [] };

export class GuardLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`guards were refused:\n${problems.join('\n')}`);
  }
}

export function formatRefused(refused: RefusedGuard): string[] {
  return refused.problems.map((p) => `${refused.file}: ${p}`);
}

export class GuardHost {
  private chain: Chain = { guards: [], pool: undefined };
  private refused: readonly RefusedGuard[] = [];
  private dirFingerprint = '';
  private lastReload: GuardReload | undefined;
  private readonly labels = new SessionLabels();
  private watcher: DirectoryWatch | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: GuardHostOptions) {}

  /** Loads the directory; throws GuardLoadError listing every problem when a guard is refused at start. */
  async start(): Promise<void> {
    await this.reload();
    if (this.refused.length > 0) {
      await this.close();
      throw new GuardLoadError(this.refused.flatMap(formatRefused));
    }
    // The stat poll backs up fs.watch, which misses events on some filesystems and with editors that rename.
    if (this.options.watch) {
      this.watcher = watchDirectory(this.options.dir, () => void this.reload(), { debounceMs: this.options.debounceMs ?? 150, pollMs: this.options.pollMs ?? 1_000 });
    }
  }

  /** Re-reads the directory now (the watcher calls this; so do tests). Serialized: one reload at a time. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again && !this.closed);
    })().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Runs the guards of `phase` over one message. Never throws; a failure is answered by `failure_mode`. */
  async run(
    phase: GuardPhase,
    envelope: Omit<GuardEnvelope, 'phase'>,
    session: string | undefined,
    /** Per guard name, a `config` to use instead of the manifest's (for `portcullis guards test`). */
    configs?: Readonly<Record<string, unknown>>,
  ): Promise<GuardVerdict> {
    const chain = this.chain;
    let order: number[] = [];
    const now = Date.now();
    for (const [index, guard] of chain.guards.entries()) {
      if (!guard.spec.phases.includes(phase)) continue;
      if (guard.bench.until > now) {
        // Benched after a timeout: its failure_mode answers at once, so looping input cannot starve the pool.
        if (guard.spec.manifest.failure_mode === 'fail_closed') return denyFailed(guard, 'timeout', 'benched after a timeout');
        continue;
      }
      order.push(index);
    }
    if (order.length === 0 || !chain.pool) return ALLOW;
    const body = JSON.stringify({ phase, ...envelope });
    const overrides = configs ? configOverrides(chain, configs) : undefined;
    const failures: { guard: string; kind: FailureKind; message: string }[] = [];
    for (let attempt = 0; attempt <= chain.guards.length; attempt++) {
      const result: PoolResult = await chain.pool.run({ phase, envelope: body, sessionLabels: this.labels.get(session), order, ...(overrides ? { configs: overrides } : {}) });
      if (result.ok) return { ...this.absorb(chain, result.outcome, session), failures: [...failures, ...this.absorbFailures(chain, result.outcome)] };
      const guard = result.guard !== undefined ? chain.guards[result.guard] : undefined;
      if (guard) {
        guard.stats.fail(result.kind);
        this.options.metrics?.countGuardFailure(guard.spec.name, result.kind);
        failures.push({ guard: guard.spec.name, kind: result.kind, message: result.message });
        this.options.logger.warn('guard failed', { guard: guard.spec.name, kind: result.kind, message: result.message });
        if (result.kind === 'timeout') this.benchGuard(guard);
        if (guard.spec.manifest.failure_mode === 'fail_closed') return { ...denyFailed(guard, result.kind, result.message), failures };
        order = order.filter((i) => i !== result.guard);
        if (order.length === 0) return { ...ALLOW, failures };
        continue;
      }
      // Not one guard's fault (no free worker, a worker lost between guards): the strictest guard in line decides.
      this.options.logger.warn('guard chain did not run', { kind: result.kind, message: result.message });
      const strict = order.map((i) => chain.guards[i]!).find((g) => g.spec.manifest.failure_mode === 'fail_closed');
      return strict ? { ...denyFailed(strict, result.kind, result.message), failures } : { ...ALLOW, failures };
    }
    return { ...ALLOW, failures };
  }

  /** Gives a session labels as if guards had added them (`portcullis guards test` cases with `session_labels`). */
  addSessionLabels(session: string, labels: readonly string[]): void {
    this.labels.add(session, labels);
  }

  forgetSession(session: string): void {
    this.labels.forget(session);
  }

  sessionLabels(session: string): readonly string[] {
    return this.labels.get(session);
  }

  /** Whether any running guard judges `phase` (so callers can skip building an envelope). */
  covers(phase: GuardPhase): boolean {
    return this.chain.guards.some((g) => g.spec.phases.includes(phase));
  }

  status(): GuardStatusRow[] {
    const now = Date.now();
    const active = this.chain.guards.map((g): GuardStatusRow => {
      const refusedNext = this.refused.find((r) => r.name === g.spec.name);
      return {
        name: g.spec.name, file: g.spec.file, status: g.bench.until > now ? 'benched' : 'active', priority: g.spec.manifest.priority,
        phases: g.spec.phases, failure_mode: g.spec.manifest.failure_mode, timeout_ms: g.spec.manifest.timeout_ms, sha256: g.spec.sha256,
        version: g.description.version,
        problems: refusedNext ? ['a newer file was refused; this is the previous version', ...refusedNext.problems] : [],
        calls: g.stats.calls, failures: { ...g.stats.failures }, p50_ms: roundMs(g.stats.p50()),
      };
    });
    const refused = this.refused
      .filter((r) => !this.chain.guards.some((g) => g.spec.name === r.name))
      .map((r): GuardStatusRow => ({ name: r.name, file: r.file, status: 'refused', problems: r.problems, calls: 0, failures: {}, p50_ms: null }));
    return [...active, ...refused];
  }

  report(): GuardReload | undefined {
    return this.lastReload;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    await this.reloading?.catch(() => undefined);
    await this.chain.pool?.close(2_000);
  }

  private absorb(chain: Chain, outcome: ChainOutcome, session: string | undefined): Omit<GuardVerdict, 'failures'> {
    for (const call of outcome.calls) {
      const guard = chain.guards[call.guard]!;
      guard.stats.observe(call.ms);
      this.options.metrics?.observeGuard(guard.spec.name, call.outcome, call.ms / 1000);
      if (call.outcome !== 'failed') guard.bench.strikes = 0;
    }
    for (const log of outcome.logs) this.options.logger.info('guard log', { guard: chain.guards[log.guard]!.spec.name, message: log.message });
    this.labels.add(session, outcome.labels);
    const name = (i: number | undefined): string | undefined => (i === undefined ? undefined : chain.guards[i]!.spec.name);
    return {
      decision: outcome.decision,
      ...(outcome.guard !== undefined ? { guard: name(outcome.guard)! } : {}),
      ...(outcome.code ? { code: outcome.code } : {}),
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      labels: outcome.labels,
      ...(outcome.redacted ? { redacted: outcome.redacted } : {}),
      redactions: outcome.redactions.map((r) => ({ ...r, guard: name(r.guard)! })),
    };
  }

  private absorbFailures(chain: Chain, outcome: ChainOutcome): GuardVerdict['failures'] {
    return outcome.failures.map((f) => {
      const guard = chain.guards[f.guard]!;
      guard.stats.fail(f.kind);
      this.options.metrics?.countGuardFailure(guard.spec.name, f.kind);
      this.options.logger.warn('guard failed', { guard: guard.spec.name, kind: f.kind, message: f.message });
      return { guard: guard.spec.name, kind: f.kind, message: f.message };
    });
  }

  private benchGuard(guard: ActiveGuard): void {
    const ms = Math.min(BENCH.maxMs, (this.options.benchMs ?? BENCH.firstMs) * 2 ** guard.bench.strikes);
    guard.bench = { until: Date.now() + ms, strikes: guard.bench.strikes + 1 };
    this.options.logger.warn('guard benched after a timeout', { guard: guard.spec.name, for_ms: ms });
  }

  private async reloadOnce(): Promise<void> {
    const loaded = loadGuardDir(this.options.dir);
    if (loaded.fingerprint === this.dirFingerprint) return;
    this.dirFingerprint = loaded.fingerprint;
    const running = new Map(this.chain.guards.map((g) => [g.spec.name, g]));
    // A refused new version of a running guard keeps the running one, unless its module was removed.
    const fallback = (name: string): ActiveGuard | undefined =>
      existsSync(join(this.options.dir, `${name}.wasm`)) ? running.get(name) : undefined;
    const refused: RefusedGuard[] = [...loaded.refused];
    const candidates: (GuardSpec | ActiveGuard)[] = [...loaded.guards];
    for (const r of loaded.refused) {
      const keep = fallback(r.name);
      if (keep) candidates.push(keep);
    }
    const sameAsRunning =
      candidates.length === this.chain.guards.length &&
      candidates.every((c) => 'stats' in c ? running.get(c.spec.name) === c : running.get(c.name)?.spec.fingerprint === c.fingerprint);
    let chain = this.chain;
    if (!sameAsRunning) {
      const built = await this.buildChain(candidates, running, fallback, refused);
      if (this.closed) {
        await built.pool?.close(0);
        return;
      }
      chain = built;
    }
    const previous = this.chain;
    this.chain = chain;
    this.refused = refused;
    if (previous !== chain) void previous.pool?.close();
    this.lastReload = { at: new Date().toISOString(), active: chain.guards.map((g) => g.spec.name), refused };
    if (refused.length > 0) this.options.logger.error('guards refused', { problems: refused.flatMap(formatRefused) });
    this.options.logger.info('guards loaded', { active: this.lastReload.active });
    this.options.onReload?.(this.lastReload);
  }

  /** Starts a pool for the candidates; a guard that fails to load or describe is dropped (or falls back) and the pool restarted. */
  private async buildChain(
    input: readonly (GuardSpec | ActiveGuard)[],
    running: ReadonlyMap<string, ActiveGuard>,
    fallback: (name: string) => ActiveGuard | undefined,
    refused: RefusedGuard[],
  ): Promise<Chain> {
    let candidates = sortByPriority(input.map((c) => ('stats' in c ? c.spec : c)));
    for (let attempts = 0; candidates.length > 0 && attempts <= input.length; attempts++) {
      const start = await GuardPool.start({
        guards: candidates.map(toWorkerGuard),
        timeoutsMs: candidates.map((c) => c.manifest.timeout_ms),
        size: this.options.workers,
        maxQueue: 64 * this.options.workers,
        maxWaitMs: 2_000,
        onWorkerLost: (reason) => this.options.logger.warn(reason),
      });
      const bad = new Map<number, string>();
      const descriptions: GuardDescription[] = [];
      if (!start.ok) {
        if (start.guard === undefined) throw new Error(`guard workers do not start: ${start.message}`);
        bad.set(start.guard, start.message);
      } else {
        start.described.forEach((d, i) => {
          const spec = candidates[i]!;
          const parsed = d.ok ? parseDescription(d.output) : { ok: false as const, message: d.message };
          if (!parsed.ok) return void bad.set(i, parsed.message);
          const missing = parsed.value.phases.filter((p) => !spec.exports.includes(PHASE_EXPORT[p]));
          if (missing.length > 0) return void bad.set(i, `guard_describe lists phases it does not export: ${missing.join(', ')}`);
          descriptions[i] = parsed.value;
        });
      }
      if (bad.size === 0 && start.ok) {
        const guards = candidates.map((spec, i): ActiveGuard => {
          const old = running.get(spec.name);
          const same = old?.spec.fingerprint === spec.fingerprint;
          return { spec, description: descriptions[i]!, stats: same ? old!.stats : new GuardStats(), bench: same ? old!.bench : { until: 0, strikes: 0 } };
        });
        return { guards, pool: start.pool };
      }
      if (start.ok) await start.pool.close(0);
      const next: GuardSpec[] = [];
      candidates.forEach((spec, i) => {
        const problem = bad.get(i);
        if (problem === undefined) return void next.push(spec);
        refused.push({ name: spec.name, file: spec.file, problems: [problem] });
        const keep = fallback(spec.name);
        if (keep && keep.spec !== spec) next.push(keep.spec);
      });
      candidates = sortByPriority(next);
    }
    return { guards: [], pool: undefined };
  }
}

function denyFailed(guard: ActiveGuard, kind: FailureKind, message: string): GuardVerdict {
  return { decision: 'deny', guard: guard.spec.name, code: `guard_error:${kind}`, reason: message, labels: [], redactions: [], failures: [] };
}

function configOverrides(chain: Chain, configs: Readonly<Record<string, unknown>>): Record<number, string> {
  const out: Record<number, string> = {};
  chain.guards.forEach((g, i) => {
    if (Object.hasOwn(configs, g.spec.name)) out[i] = JSON.stringify(configs[g.spec.name]);
  });
  return out;
}

function sortByPriority(specs: readonly GuardSpec[]): GuardSpec[] {
  return [...specs].sort((a, b) => a.manifest.priority - b.manifest.priority || (a.name < b.name ? -1 : 1));
}

function toWorkerGuard(spec: GuardSpec): WorkerGuard {
  return {
    name: spec.name, module: spec.module, configJson: JSON.stringify(spec.manifest.config), failureMode: spec.manifest.failure_mode,
    memoryMaxPages: spec.memoryMaxPages,
  };
}

function roundMs(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 1000) / 1000;
}
