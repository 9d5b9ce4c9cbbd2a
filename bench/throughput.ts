/**
 * Throughput at 32 concurrent clients: 32 sessions per path, each calling echo in a loop for a fixed time. The paths
 * (direct, gateway, stack floor) run in A-B-C-C-B-A order (each half the time per slot) so that linear drift cancels.
 * The CPU time each path's server processes used in its slots comes from /proc, divided by the calls completed.
 * A path with a signer signs every request in the loop, so its client CPU includes the signing. A refusal by the
 * gateway's pipeline or a wrong answer stops the run (a misconfiguration must not pass for fast calls); only transport
 * failures are counted as errors.
 */
import { readCpuTimeMs, readMachineCpu } from './lib/procfs.js';
import type { RequestSigner } from './lib/identity.js';
import { JsonRpcError, type RawSession, UnexpectedResultError, callEcho, openRawSession } from './lib/raw-client.js';

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

export interface ThroughputTarget {
  readonly url: string;
  readonly tool: string;
  /** The server processes this path runs through, whose CPU time is read around its slots. */
  readonly watch: readonly WatchedProcess[];
  /** Signs every request of the path's sessions (the gateway); none: unsigned. */
  readonly signer?: RequestSigner;
}

export interface ThroughputOptions {
  readonly direct: ThroughputTarget;
  readonly gateway: ThroughputTarget;
  readonly floor: ThroughputTarget;
  readonly clients: number;
  /** Measured time per path (split over two slots). */
  readonly durationMs: number;
  /** Unmeasured time per path first. */
  readonly warmupMs: number;
}

export interface PathThroughput {
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
  readonly callsPerSecond: number;
  /** CPU milliseconds per completed call, by watched process name; `client` is this process. */
  readonly cpuMsPerCall: Readonly<Record<string, number>>;
  /** Share of the whole machine's CPU that was busy (with anything, other work included) while measuring. */
  readonly machineBusy: number;
}

export interface ThroughputResult {
  readonly clients: number;
  readonly durationMs: number;
  readonly direct: PathThroughput;
  readonly gateway: PathThroughput;
  readonly floor: PathThroughput;
}

interface SlotTotals {
  calls: number;
  errors: number;
  ms: number;
  cpuMs: Record<string, number>;
  machineBusyMs: number;
  machineTotalMs: number;
}

interface Path {
  readonly target: ThroughputTarget;
  readonly sessions: RawSession[];
  readonly totals: SlotTotals;
}

/** Opens the sessions, warms every path up, then measures them A-B-C-C-B-A. */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const opened: RawSession[] = [];
  const open = async (target: ThroughputTarget): Promise<Path> => {
    const sessions = await openSessions(target, options.clients);
    opened.push(...sessions);
    return { target, sessions, totals: emptyTotals() };
  };
  try {
    const direct = await open(options.direct);
    const gateway = await open(options.gateway);
    const floor = await open(options.floor);
    const paths = [direct, gateway, floor];
    for (const { target, sessions } of paths) await runSlot(sessions, target, options.warmupMs);
    for (const { target, sessions, totals } of [...paths, ...[...paths].reverse()]) {
      addSlot(totals, await runSlot(sessions, target, options.durationMs / 2));
    }
    return {
      clients: options.clients,
      durationMs: options.durationMs,
      direct: toPathThroughput(direct.totals),
      gateway: toPathThroughput(gateway.totals),
      floor: toPathThroughput(floor.totals),
    };
  } finally {
    await Promise.all(opened.map((session) => session.close()));
  }
}

async function openSessions(target: ThroughputTarget, count: number): Promise<RawSession[]> {
  const options = target.signer === undefined ? {} : { signer: target.signer };
  return Promise.all(Array.from({ length: count }, () => openRawSession(target.url, options)));
}

/** A refusal by the gateway's pipeline, or an answer that is not the echo: the configuration is wrong. */
function isFatal(error: unknown): boolean {
  return (error instanceof JsonRpcError && error.isDenial) || error instanceof UnexpectedResultError;
}

/** Every session loops until the slot's time is up; CPU of the watched processes is read around the slot. */
async function runSlot(
  sessions: readonly RawSession[],
  target: ThroughputTarget,
  durationMs: number,
): Promise<SlotTotals> {
  const { tool, watch } = target;
  const cpuBefore = watch.map((p) => readCpuTimeMs(p.pid));
  const clientBefore = process.cpuUsage();
  const machineBefore = readMachineCpu();
  const started = performance.now();
  const deadline = started + durationMs;
  const totals = emptyTotals();
  let fatal: unknown;
  const loop = async (session: RawSession): Promise<void> => {
    while (fatal === undefined && performance.now() < deadline) {
      try {
        await callEcho(session, tool, 'portcullis bench');
        totals.calls++;
      } catch (error) {
        if (isFatal(error)) fatal ??= error;
        else totals.errors++;
      }
    }
  };
  await Promise.all(sessions.map(loop));
  if (fatal !== undefined) throw new Error(`throughput (${target.url}): ${String(fatal)}`, { cause: fatal });
  totals.ms = performance.now() - started;
  watch.forEach((p, i) => (totals.cpuMs[p.name] = readCpuTimeMs(p.pid) - (cpuBefore[i] ?? 0)));
  const client = process.cpuUsage(clientBefore);
  totals.cpuMs.client = (client.user + client.system) / 1_000;
  const machineAfter = readMachineCpu();
  totals.machineBusyMs = machineAfter.busyMs - machineBefore.busyMs;
  totals.machineTotalMs = machineAfter.totalMs - machineBefore.totalMs;
  return totals;
}

function emptyTotals(): SlotTotals {
  return { calls: 0, errors: 0, ms: 0, cpuMs: {}, machineBusyMs: 0, machineTotalMs: 0 };
}

function addSlot(into: SlotTotals, slot: SlotTotals): void {
  into.calls += slot.calls;
  into.errors += slot.errors;
  into.ms += slot.ms;
  into.machineBusyMs += slot.machineBusyMs;
  into.machineTotalMs += slot.machineTotalMs;
  for (const [name, ms] of Object.entries(slot.cpuMs)) into.cpuMs[name] = (into.cpuMs[name] ?? 0) + ms;
}

function toPathThroughput(totals: SlotTotals): PathThroughput {
  const perCall = Object.fromEntries(
    Object.entries(totals.cpuMs).map(([name, ms]) => [name, totals.calls > 0 ? ms / totals.calls : Number.NaN]),
  );
  return {
    calls: totals.calls,
    errors: totals.errors,
    seconds: totals.ms / 1_000,
    callsPerSecond: totals.calls / (totals.ms / 1_000),
    cpuMsPerCall: perCall,
    machineBusy: totals.machineTotalMs > 0 ? totals.machineBusyMs / totals.machineTotalMs : Number.NaN,
  };
}
