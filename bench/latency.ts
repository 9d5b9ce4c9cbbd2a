/**
 * Latency at one client: the same `tools/call` of echo, sequentially, directly to the backend and through the
 * gateway. The two paths alternate in blocks (and which goes first alternates too) so that drift of the machine
 * (other load, CPU frequency, JIT) falls on both alike.
 */
import { type RawSession, callEcho } from './lib/raw-client.js';
import { type Summary, summarize } from './lib/stats.js';

export interface LatencyPath {
  readonly session: RawSession;
  readonly tool: string;
}

export interface LatencyOptions {
  readonly direct: LatencyPath;
  readonly gateway: LatencyPath;
  /** Measured calls per path. */
  readonly calls: number;
  /** Unmeasured calls per path first. */
  readonly warmup: number;
  /** Calls per block before switching path. */
  readonly block: number;
}

export interface LatencyResult {
  readonly calls: number;
  readonly warmup: number;
  readonly direct: Summary;
  readonly gateway: Summary;
}

const MESSAGE = 'portcullis bench';

/** Measures both paths; every call's answer is checked, a failure aborts the run. */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { direct, gateway, block } = options;
  await runBlocks([direct, gateway], options.warmup, block);
  const samples = await runBlocks([direct, gateway], options.calls, block);
  return {
    calls: options.calls,
    warmup: options.warmup,
    direct: summarize(samples[0] ?? []),
    gateway: summarize(samples[1] ?? []),
  };
}

async function runBlocks(paths: readonly LatencyPath[], callsPerPath: number, block: number): Promise<number[][]> {
  const samples = paths.map(() => [] as number[]);
  for (let round = 0; round * block < callsPerPath; round++) {
    const count = Math.min(block, callsPerPath - round * block);
    const order = round % 2 === 0 ? paths.map((_, i) => i) : paths.map((_, i) => paths.length - 1 - i);
    for (const index of order) {
      const path = paths[index];
      const into = samples[index];
      if (path === undefined || into === undefined) continue;
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        await callEcho(path.session, path.tool, MESSAGE);
        into.push(performance.now() - started);
      }
    }
  }
  return samples;
}
