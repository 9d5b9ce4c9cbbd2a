/**
 * Latency at one client: the same `tools/call` of echo, sequentially, directly to the backend, through the gateway
 * and to the stack floor. The paths alternate in blocks (and their order reverses every round) so that drift of the
 * machine (other load, CPU frequency, JIT) falls on all alike. The CPU time of each path's server processes is read
 * from /proc around its blocks, so the cost per call at one client comes from the same calls. Each request is
 * serialized, and on a signed session signed, just before the timer starts: signing is the client's cost, timed apart.
 */
import { readCpuTimeMs } from './lib/procfs.js';
import { type RawSession, prepareEcho, sendEcho } from './lib/raw-client.js';
import { type Summary, summarize } from './lib/stats.js';
import type { WatchedProcess } from './throughput.js';

export interface LatencyPath {
  readonly session: RawSession;
  readonly tool: string;
  /** The server processes this path runs through. */
  readonly watch: readonly WatchedProcess[];
}

export interface LatencyOptions {
  readonly direct: LatencyPath;
  readonly gateway: LatencyPath;
  readonly floor: LatencyPath;
  /** Measured calls per path. */
  readonly calls: number;
  /** Unmeasured calls per path first. */
  readonly warmup: number;
  /** Calls per block before switching path. */
  readonly block: number;
}

export interface PathLatency extends Summary {
  /** CPU milliseconds per measured call, by watched process name. */
  readonly cpuMsPerCall: Readonly<Record<string, number>>;
  /** On a signed session: the client's time to serialize and sign each measured request (outside the latency). */
  readonly signing?: Summary;
}

export interface LatencyResult {
  readonly calls: number;
  readonly warmup: number;
  readonly direct: PathLatency;
  readonly gateway: PathLatency;
  readonly floor: PathLatency;
}

interface PathSamples {
  readonly ms: number[];
  readonly signMs: number[];
  readonly cpuMs: Record<string, number>;
}

const MESSAGE = 'portcullis bench';

/** Measures every path; every call's answer is checked, a failure aborts the run. */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { direct, gateway, floor, block } = options;
  await runBlocks([direct, gateway, floor], options.warmup, block);
  const [d, g, f] = await runBlocks([direct, gateway, floor], options.calls, block);
  return {
    calls: options.calls,
    warmup: options.warmup,
    direct: toPathLatency(d),
    gateway: toPathLatency(g),
    floor: toPathLatency(f),
  };
}

function toPathLatency(samples: PathSamples | undefined): PathLatency {
  const ms = samples?.ms ?? [];
  const signMs = samples?.signMs ?? [];
  const perCall = Object.entries(samples?.cpuMs ?? {}).map(([name, cpu]) => [name, cpu / ms.length] as const);
  return {
    ...summarize(ms),
    cpuMsPerCall: Object.fromEntries(perCall),
    ...(signMs.length > 0 ? { signing: summarize(signMs) } : {}),
  };
}

async function runBlocks(paths: readonly LatencyPath[], callsPerPath: number, block: number): Promise<PathSamples[]> {
  const samples = paths.map((): PathSamples => ({ ms: [], signMs: [], cpuMs: {} }));
  for (let round = 0; round * block < callsPerPath; round++) {
    const count = Math.min(block, callsPerPath - round * block);
    const order = round % 2 === 0 ? paths.map((_, i) => i) : paths.map((_, i) => paths.length - 1 - i);
    for (const index of order) {
      const path = paths[index];
      const into = samples[index];
      if (path === undefined || into === undefined) continue;
      const cpuBefore = path.watch.map((p) => readCpuTimeMs(p.pid));
      for (let i = 0; i < count; i++) {
        const preparing = performance.now();
        const prepared = prepareEcho(path.session, path.tool, MESSAGE);
        const started = performance.now();
        if (path.session.signed) into.signMs.push(started - preparing);
        await sendEcho(path.session, prepared, MESSAGE);
        into.ms.push(performance.now() - started);
      }
      path.watch.forEach((p, i) => {
        into.cpuMs[p.name] = (into.cpuMs[p.name] ?? 0) + readCpuTimeMs(p.pid) - (cpuBefore[i] ?? 0);
      });
    }
  }
  return samples;
}
