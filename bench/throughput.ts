/**
 * Throughput at 32 concurrent clients: 32 sessions per path, each calling echo in a loop for a fixed time. Direct and
 * gateway run in A-B-B-A order (each half the time per slot) so that linear drift cancels. The CPU time the gateway
 * and the backend used in each slot comes from /proc, divided by the calls completed.
 */
import { readCpuTimeMs, readMachineCpu } from './lib/procfs.js';
import { type RawSession, callEcho, openRawSession } from './lib/raw-client.js';

export interface ThroughputTarget {
  readonly url: string;
  readonly tool: string;
}

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

export interface ThroughputOptions {
  readonly direct: ThroughputTarget;
  readonly gateway: ThroughputTarget;
  readonly clients: number;
  /** Measured time per path (split over two slots). */
  readonly durationMs: number;
  /** Unmeasured time per path first. */
  readonly warmupMs: number;
  readonly watch: readonly WatchedProcess[];
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
}

interface SlotTotals {
  calls: number;
  errors: number;
  ms: number;
  cpuMs: Record<string, number>;
  machineBusyMs: number;
  machineTotalMs: number;
}

/** Opens the sessions, warms both paths up, then measures them A-B-B-A. */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const direct = await openSessions(options.direct.url, options.clients);
  const gateway = await openSessions(options.gateway.url, options.clients);
  try {
    const slots: [RawSession[], ThroughputTarget, SlotTotals][] = [];
    const directTotals = emptyTotals();
    const gatewayTotals = emptyTotals();
    await runSlot(direct, options.direct.tool, options.warmupMs, options.watch);
    await runSlot(gateway, options.gateway.tool, options.warmupMs, options.watch);
    slots.push([direct, options.direct, directTotals], [gateway, options.gateway, gatewayTotals]);
    slots.push([gateway, options.gateway, gatewayTotals], [direct, options.direct, directTotals]);
    for (const [sessions, target, totals] of slots) {
      addSlot(totals, await runSlot(sessions, target.tool, options.durationMs / 2, options.watch));
    }
    return {
      clients: options.clients,
      durationMs: options.durationMs,
      direct: toPathThroughput(directTotals),
      gateway: toPathThroughput(gatewayTotals),
    };
  } finally {
    await Promise.all([...direct, ...gateway].map((session) => session.close()));
  }
}

async function openSessions(url: string, count: number): Promise<RawSession[]> {
  return Promise.all(Array.from({ length: count }, () => openRawSession(url)));
}

/** Every session loops until the slot's time is up; CPU of the watched processes is read around the slot. */
async function runSlot(
  sessions: readonly RawSession[],
  tool: string,
  durationMs: number,
  watch: readonly WatchedProcess[],
): Promise<SlotTotals> {
  const cpuBefore = watch.map((p) => readCpuTimeMs(p.pid));
  const clientBefore = process.cpuUsage();
  const machineBefore = readMachineCpu();
  const started = performance.now();
  const deadline = started + durationMs;
  const totals = emptyTotals();
  const loop = async (session: RawSession): Promise<void> => {
    while (performance.now() < deadline) {
      try {
        await callEcho(session, tool, 'portcullis bench');
        totals.calls++;
      } catch {
        totals.errors++;
      }
    }
  };
  await Promise.all(sessions.map(loop));
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
