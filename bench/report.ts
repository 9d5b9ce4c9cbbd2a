/**
 * Renders one run: aligned tables for the terminal, and bench/RESULTS.md. RESULTS.md is rewritten whole on every full
 * run except its "History" section, which is kept and gets one line per run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { describeThroughputBound, throughputBound } from './bound.js';
import { addedMs, throughputRatio } from './budgets.js';
import { formatCount, formatMB, formatMs } from './lib/stats.js';
import { describePipeline } from './pipeline.js';
import type { BenchResults } from './results.js';
import { buildTables, renderMarkdownTable, renderTextTable } from './tables.js';

const HISTORY_HEADING = '## History';
const BOUND_TITLE = 'What bounds the throughput';
const PIPELINE_TITLE = 'Gateway pipeline under test';

function notMeasuredYet({ pipeline }: BenchResults): string[] {
  const missing = pipeline.notRun.map((stage) => `\`${stage}\``).join(', ');
  if (missing === '') return [];
  return [
    '### Not measured yet',
    '',
    '- The full pipeline of the latency budget (signature, ACL, every shipped rule, three guards, audit): this',
    `  build does not run ${missing} yet; the gateway numbers above grow as they arrive.`,
    '',
  ];
}

/** The run: what the gateway ran, aligned plain-text tables, then what bounds the throughput. */
export function renderText(results: BenchResults): string {
  const pipeline = [PIPELINE_TITLE, ...describePipeline(results.pipeline)].join('\n');
  const bound = [BOUND_TITLE, ...describeThroughputBound(results)].join('\n');
  return [pipeline, ...buildTables(results).map(renderTextTable), bound].join('\n\n');
}

/** One line for the History section. */
export function historyLine(results: BenchResults): string {
  const { machine, latency, throughput, memory } = results;
  const when = `${machine.date.slice(0, 16).replace('T', ' ')} UTC`;
  const gatewayCpu = formatMs(throughput.gateway.cpuMsPerCall.gateway ?? Number.NaN);
  const bound = throughputBound(throughput);
  return [
    `- ${when}, ${machine.commit}, ${machine.cores} cores, load ${machine.loadAverage.toFixed(2)}, `,
    `signed, ${results.pipeline.stages.length} gateway stages: `,
    `added p50 ${formatMs(addedMs(latency, 'p50'))}, p99 ${formatMs(addedMs(latency, 'p99'))}; `,
    `throughput ${throughputRatio(throughput).toFixed(2)}× direct (${formatCount(throughput.gateway.callsPerSecond)} `,
    `vs ${formatCount(throughput.direct.callsPerSecond)} calls/s), gateway CPU ${gatewayCpu}/call, `,
    `stack floor ${formatMs(bound.floorMs)}/call (bound ${bound.boundRatio.toFixed(2)}×); `,
    `audit ${formatCount(results.audit[0].rowsPerSecond)} rows/s; `,
    `${formatCount(memory.sessions)} idle sessions ${formatMB(memory.rssBytes)}`,
  ].join('');
}

/** The lines of the History section of an existing RESULTS.md (none if there is no file). */
export function readHistory(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(HISTORY_HEADING);
  if (start < 0) return [];
  return text
    .slice(start + HISTORY_HEADING.length)
    .split('\n')
    .filter((line) => line.startsWith('- '));
}

function machineSection(results: BenchResults): string[] {
  const { machine } = results;
  const busy = machine.loadAverage > machine.cores / 2;
  return [
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${machine.node}; run ${machine.date}; commit ${machine.commit}; took ${results.elapsedSeconds.toFixed(0)} s`,
    `- 1-minute load average at the start: ${machine.loadAverage.toFixed(2)} (the client and every server share the cores)`,
    ...(busy ? ['- **The machine was busy with other work during this run: the numbers are noisy.**'] : []),
  ];
}

/** Rewrites `file` with this run's results, keeping its history and appending this run to it. */
export async function writeResultsMarkdown(file: string, results: BenchResults, method: string): Promise<void> {
  const history = [...readHistory(file), historyLine(results)];
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts). Everything above "History" is rewritten by each full run; the History',
    'section is kept and each run appends one line. `npm run bench -- --quick` is a smoke run and writes nothing here.',
    '',
    ...machineSection(results),
    '',
    '## Method',
    '',
    method,
    '',
    '## Results',
    '',
    `### ${PIPELINE_TITLE}`,
    '',
    ...describePipeline(results.pipeline).flatMap((paragraph) => [paragraph, '']),
    ...buildTables(results).flatMap((table) => [renderMarkdownTable(table), '']),
    `### ${BOUND_TITLE}`,
    '',
    ...describeThroughputBound(results),
    '',
    ...notMeasuredYet(results),
    HISTORY_HEADING,
    '',
    ...history,
    '',
  ].join('\n');
  // Formatted as the repository formats Markdown, so `prettier --check` stays clean.
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), parser: 'markdown' }));
}
