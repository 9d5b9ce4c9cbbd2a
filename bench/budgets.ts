/** The performance budgets of DESIGN.md §6, checked against one run's results. */
import type { AuditResult } from './audit.js';
import type { GuardResult } from './guards.js';
import type { LatencyResult } from './latency.js';
import type { MemoryResult } from './memory.js';
import type { ScannerResult } from './scanner.js';
import { formatCount, formatMB, formatMs } from './lib/stats.js';
import type { ThroughputResult } from './throughput.js';

export type BudgetStatus = 'met' | 'NOT met' | 'not measured yet' | 'not comparable (quick run)';

export interface BudgetCheck {
  readonly budget: string;
  readonly limit: string;
  readonly measured: string;
  readonly status: BudgetStatus;
}

export interface BudgetInputs {
  readonly quick: boolean;
  readonly latency: LatencyResult;
  readonly throughput: ThroughputResult;
  readonly audit: AuditResult;
  readonly memory: MemoryResult;
  readonly scanner: ScannerResult;
  readonly guards: GuardResult;
}

export const BUDGETS = {
  addedP50Ms: 1,
  addedP99Ms: 5,
  throughputRatio: 0.7,
  auditRowsPerSecond: 50_000,
  idleSessions: 1_000,
  idleRssBytes: 150_000_000,
  scanMsPerMiB: 20,
  guardCallP50Ms: 0.2,
  /** A looping guard is answered within its timeout_ms plus this. */
  guardStopSlackMs: 50,
} as const;

/** The added latency of the gateway at a percentile: gateway − direct. */
export function addedMs(latency: LatencyResult, key: 'p50' | 'p90' | 'p99'): number {
  return latency.gateway[key] - latency.direct[key];
}

/** Gateway calls/s over direct calls/s at the same concurrency. */
export function throughputRatio(throughput: ThroughputResult): number {
  return throughput.gateway.callsPerSecond / throughput.direct.callsPerSecond;
}

/** Every budget, measured or not, in DESIGN.md §6 order. */
export function checkBudgets(inputs: BudgetInputs): BudgetCheck[] {
  const status = (ok: boolean, comparable = !inputs.quick): BudgetStatus =>
    !comparable ? 'not comparable (quick run)' : ok ? 'met' : 'NOT met';
  const p50 = addedMs(inputs.latency, 'p50');
  const p99 = addedMs(inputs.latency, 'p99');
  const ratio = throughputRatio(inputs.throughput);
  const { memory, audit } = inputs;
  const guardCall = inputs.guards.chains[0]!.summary;
  const loop = inputs.guards.loop;
  const slowestStop = Math.max(...loop.stoppedMs);
  return [
    {
      budget: 'added latency p50, 1 client',
      limit: `≤ ${BUDGETS.addedP50Ms} ms`,
      measured: formatMs(p50),
      status: status(p50 <= BUDGETS.addedP50Ms),
    },
    {
      budget: 'added latency p99, 1 client',
      limit: `≤ ${BUDGETS.addedP99Ms} ms`,
      measured: formatMs(p99),
      status: status(p99 <= BUDGETS.addedP99Ms),
    },
    {
      budget: `throughput, ${inputs.throughput.clients} clients`,
      limit: `≥ ${BUDGETS.throughputRatio}× direct`,
      measured: `${ratio.toFixed(2)}× direct`,
      status: status(ratio >= BUDGETS.throughputRatio && inputs.throughput.gateway.errors === 0),
    },
    {
      budget: `rule scan, every shipped rule (${inputs.scanner.rules})`,
      limit: `≤ ${BUDGETS.scanMsPerMiB} ms/MiB + constant`,
      measured: `${inputs.scanner.marginalMsPerMiB.toFixed(1)} ms/MiB + ${formatMs(inputs.scanner.constantMs)}`,
      status: status(inputs.scanner.marginalMsPerMiB <= BUDGETS.scanMsPerMiB),
    },
    {
      budget: 'one guard call, p50 (worker isolation included)',
      limit: `≤ ${BUDGETS.guardCallP50Ms} ms`,
      measured: formatMs(guardCall.p50),
      status: status(guardCall.p50 <= BUDGETS.guardCallP50Ms),
    },
    {
      budget: `looping guard answered (timeout_ms ${loop.timeoutMs})`,
      limit: `≤ ${loop.timeoutMs + BUDGETS.guardStopSlackMs} ms`,
      measured: `${formatMs(slowestStop)} (slowest of ${loop.stoppedMs.length})`,
      status: status(slowestStop <= loop.timeoutMs + BUDGETS.guardStopSlackMs),
    },
    {
      budget: `audit append, 1 KiB payloads`,
      limit: `≥ ${formatCount(BUDGETS.auditRowsPerSecond)} rows/s`,
      measured: `${formatCount(audit.rowsPerSecond)} rows/s`,
      status: status(audit.rowsPerSecond >= BUDGETS.auditRowsPerSecond),
    },
    {
      budget: `memory, ${formatCount(BUDGETS.idleSessions)} idle sessions`,
      limit: `≤ ${BUDGETS.idleRssBytes / 1_000_000} MB RSS`,
      measured: `${formatMB(memory.rssBytes)} (${formatCount(memory.sessions)} sessions)`,
      status: status(memory.rssBytes <= BUDGETS.idleRssBytes, memory.sessions >= BUDGETS.idleSessions && !inputs.quick),
    },
  ];
}
