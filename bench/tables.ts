/** The tables of a run, built once and rendered as aligned text (terminal) or Markdown (RESULTS.md). */
import { type BudgetCheck, addedMs, checkBudgets, throughputRatio } from './budgets.js';
import { type Summary, formatCount, formatMB, formatMs } from './lib/stats.js';
import type { BenchResults } from './results.js';
import type { PathThroughput } from './throughput.js';

/** The name of the stack-floor path in the tables (bench/lib/floor-server.ts). */
export const FLOOR_PATH = 'stack floor (hono + node-server + SDK transport, no backend)';

export interface Table {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Every table of a run, in the order they are shown. */
export function buildTables(results: BenchResults): Table[] {
  const budgets = checkBudgets({ ...results, audit: results.audit[0] });
  return [
    budgetTable(budgets),
    latencyTable(results),
    throughputTable(results),
    auditTable(results),
    memoryTable(results),
    scannerTable(results),
    guardTable(results),
  ];
}

function guardTable({ guards }: BenchResults): Table {
  const row = (name: string, s: Summary): string[] => [name, ...[s.p50, s.p90, s.p99, s.mean].map(formatMs)];
  const { loop } = guards;
  return {
    title: `Guards, in process through GuardHost (${guards.workers} worker threads; one chain per call, run in one worker)`,
    head: ['chain', 'p50', 'p90', 'p99', 'mean'],
    rows: [
      ...guards.chains.map((c) => row(c.label, c.summary)),
      ['marginal guard in a chain (4 − 1 do-nothing, ÷ 3), p50', formatMs(guards.marginalP50Ms), '', '', ''],
      [`looping guard (timeout_ms ${loop.timeoutMs}): answered after`, formatMs(Math.min(...loop.stoppedMs)), '', formatMs(Math.max(...loop.stoppedMs)), `${loop.stoppedMs.length} loops`],
      row(`other calls meanwhile, on the other worker (${formatCount(loop.concurrent.count)})`, loop.concurrent),
    ],
  };
}

function scannerTable({ scanner }: BenchResults): Table {
  const size = (bytes: number): string => (bytes >= 1_048_576 ? `${+(bytes / 1_048_576).toFixed(1)} MiB` : `${+(bytes / 1024).toFixed(0)} KiB`);
  return {
    title: `Rule scan, in process: ${scanner.rules} shipped rules, surface ${scanner.surface}, representative tool traffic`,
    head: ['input', 'median', 'ms per MiB'],
    rows: [
      ...scanner.sizes.map((s) => [size(s.bytes), formatMs(s.medianMs), s.msPerMiB.toFixed(1)]),
      ['marginal cost (largest − smallest)', '—', scanner.marginalMsPerMiB.toFixed(1)],
      [`hostile: ${size(scanner.hostile.bytes)} of a+…!x+… (catastrophic for backtracking)`, formatMs(scanner.hostile.ms), (scanner.hostile.ms / (scanner.hostile.bytes / 1_048_576)).toFixed(1)],
    ],
  };
}

function budgetTable(budgets: readonly BudgetCheck[]): Table {
  return {
    title: 'Budgets (DESIGN.md §6)',
    head: ['budget', 'limit', 'measured', 'status'],
    rows: budgets.map((b) => [b.budget, b.limit, b.measured, b.status]),
  };
}

function latencyTable({ latency, sdk }: BenchResults): Table {
  // Server CPU per call of the raw-fetch paths: each process the path runs through, from /proc around its blocks.
  const cpu = (perCall: Readonly<Record<string, number>>): string =>
    Object.entries(perCall)
      .map(([name, ms]) => `${name} ${formatMs(ms)}`)
      .join(' + ');
  const row = (name: string, s: Summary, perCall?: Readonly<Record<string, number>>): string[] => [
    name,
    ...[s.p50, s.p90, s.p99, s.mean].map(formatMs),
    perCall === undefined ? '—' : cpu(perCall),
  ];
  const added = [
    ...(['p50', 'p90', 'p99'] as const).map((k) => addedMs(latency, k)),
    latency.gateway.mean - latency.direct.mean,
  ];
  // The client's own time to serialize and sign each gateway request, taken just before the timed span.
  const signing = latency.gateway.signing;
  const signingRow =
    signing === undefined ? [] : [[...row('client: serialize + sign each gateway call (before its timer)', signing)]];
  return {
    title: `Latency at 1 client (${formatCount(latency.calls)} calls per path after ${formatCount(latency.warmup)} warm-up)`,
    head: ['path', 'p50', 'p90', 'p99', 'mean', 'server CPU/call'],
    rows: [
      row('direct (raw fetch, unsigned)', latency.direct, latency.direct.cpuMsPerCall),
      row('gateway (raw fetch, signed)', latency.gateway, latency.gateway.cpuMsPerCall),
      ['added (gateway − direct)', ...added.map(formatMs), ''],
      ...signingRow,
      row(FLOOR_PATH, latency.floor, latency.floor.cpuMsPerCall),
      row(`direct (SDK Client, ${sdk.calls} calls, reference)`, sdk.direct),
      row(`gateway (SDK Client + createSigningFetch, ${sdk.calls} calls, reference)`, sdk.gateway),
    ],
  };
}

function throughputTable({ throughput }: BenchResults): Table {
  const cpu = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '—' : formatMs(ms));
  // Each path reports the CPU of the processes it runs through only: the others show "—".
  const row = (name: string, path: PathThroughput): string[] => [
    name,
    formatCount(path.calls),
    formatCount(path.errors),
    formatCount(path.callsPerSecond),
    cpu(path.cpuMsPerCall.gateway),
    cpu(path.cpuMsPerCall.backend),
    cpu(path.cpuMsPerCall.floor),
    cpu(path.cpuMsPerCall.client),
    `${(path.machineBusy * 100).toFixed(0)}%`,
  ];
  return {
    title: `Throughput at ${throughput.clients} clients (${throughput.durationMs / 1_000} s per path)`,
    head: [
      'path',
      'calls',
      'errors',
      'calls/s',
      'gateway CPU/call',
      'backend CPU/call',
      'floor CPU/call',
      'client CPU/call',
      'machine busy',
    ],
    rows: [
      row('direct (unsigned)', throughput.direct),
      row('gateway (signed)', throughput.gateway),
      ['gateway / direct', '', '', `${throughputRatio(throughput).toFixed(2)}×`, '', '', '', '', ''],
      row(FLOOR_PATH, throughput.floor),
    ],
  };
}

function auditTable({ audit }: BenchResults): Table {
  return {
    title: 'Audit append (src/store, temporary database)',
    head: ['rows per event-loop turn', 'rows', 'payload', 'rows/s'],
    rows: audit.map((a) => [
      String(a.rowsPerTurn),
      formatCount(a.rows),
      `${a.payloadBytes} B`,
      formatCount(a.rowsPerSecond),
    ]),
  };
}

function memoryTable({ memory }: BenchResults): Table {
  const perSession = (memory.rssBytes - memory.baselineRssBytes) / Math.max(1, memory.sessions);
  return {
    title: 'Memory with idle sessions (gateway RSS)',
    head: ['sessions', 'RSS before', 'RSS after', 'per session'],
    rows: [
      [
        formatCount(memory.sessions),
        formatMB(memory.baselineRssBytes),
        formatMB(memory.rssBytes),
        `${(perSession / 1_000).toFixed(1)} kB`,
      ],
    ],
  };
}

/** A table as aligned plain text under its title. */
export function renderTextTable(table: Table): string {
  const all = [table.head, ...table.rows];
  const widths = table.head.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [table.title, line(table.head), rule, ...table.rows.map(line)].join('\n');
}

/** A table as a Markdown section (### title, then a pipe table). */
export function renderMarkdownTable(table: Table): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [`### ${table.title}`, '', row(table.head), row(table.head.map(() => '---')), ...table.rows.map(row)];
  return lines.join('\n');
}
