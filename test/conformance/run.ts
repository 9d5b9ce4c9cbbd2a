/**
 * `npm run conformance`: runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode,
 * every scenario) against a backend directly and through the gateway, for two backends — the repo's conformance
 * fixture and `@modelcontextprotocol/server-everything` over Streamable HTTP — and compares them check by check.
 * Exit 0: every check that passes directly passes through the gateway; 1: at least one regression (listed);
 * 2: the harness itself could not run (a server did not start, the run exceeded its time budget, ...).
 *
 *   node --import tsx test/conformance/run.ts [--backend fixture|everything] [--markdown FILE] [--keep]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Comparison, compare, renderMarkdown, renderText, tally } from './compare.js';
import { ProcessGroup } from './processes.js';
import { type SuiteResult, listServerScenarios, runSuite } from './suite.js';
import { type Target, type TargetContext, startEverything, startFixture, startGateway } from './targets.js';

const TOTAL_BUDGET_MS = 290_000;
const START_TIMEOUT_MS = 30_000;
const SUITE_TIMEOUT_MS = 90_000;
const SCENARIO_TIMEOUT_MS = 30_000;

interface BackendSpec {
  readonly name: 'fixture' | 'everything';
  readonly title: string;
  readonly start: (ctx: TargetContext) => Promise<Target>;
}

const BACKENDS: readonly BackendSpec[] = [
  { name: 'fixture', title: 'test/fixtures/conformance-server.ts', start: startFixture },
  { name: 'everything', title: '@modelcontextprotocol/server-everything (streamableHttp)', start: startEverything },
];

interface BackendReport {
  readonly spec: BackendSpec;
  readonly direct: SuiteResult;
  readonly gateway: SuiteResult;
  readonly comparison: Comparison;
}

const HELP = `Usage: node --import tsx test/conformance/run.ts [--backend fixture|everything] [--markdown FILE] [--keep]

Runs @modelcontextprotocol/conformance (server mode, all scenarios) against each backend directly and through the
gateway (dist/ must be built: npm run conformance builds first) and compares the results check by check.
  --backend NAME   only this backend (default: both)
  --markdown FILE  also write the result tables as Markdown to FILE
  --keep           keep the work directory (logs, configs, raw results); it is always kept when something fails
Exit: 0 no regression, 1 a check that passes directly fails through the gateway, 2 the harness could not run.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      markdown: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return (process.stdout.write(HELP), 0);
  const specs = BACKENDS.filter((spec) => values.backend === undefined || spec.name === values.backend);
  if (specs.length === 0) return (process.stderr.write(`unknown --backend ${values.backend}\n\n${HELP}`), 2);

  const started = Date.now();
  const deadline = started + TOTAL_BUDGET_MS;
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const workDir = mkdtempSync(join(tmpdir(), 'portcullis-conformance-'));
  const group = new ProcessGroup(workDir);
  const ctx: TargetContext = { group, repoRoot, workDir, startTimeoutMs: START_TIMEOUT_MS };
  let keep = values.keep === true;

  const cleanup = async (): Promise<void> => {
    await group.stopAll();
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', () => group.killAllNow());
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every child process…\n`);
      keep = true;
      void cleanup().finally(() => process.exit(code));
    });
  }
  const watchdog = setTimeout(() => {
    process.stderr.write(`\nconformance: over the ${TOTAL_BUDGET_MS / 1000} s budget; stopping (logs in ${workDir})\n`);
    keep = true;
    void cleanup().finally(() => process.exit(2));
  }, TOTAL_BUDGET_MS + 10_000);

  try {
    const scenarios = await listServerScenarios(group, repoRoot, START_TIMEOUT_MS);
    process.stdout.write(`conformance: ${scenarios.length} server scenarios, work dir ${workDir}\n`);
    const reports: BackendReport[] = [];
    for (const spec of specs) reports.push(await runBackend(spec, { ctx, scenarios, deadline }));
    const regressions = reports.flatMap((report) =>
      report.comparison.regressions.map((row) => ({ backend: report.spec.name, row })),
    );
    printSummary(reports, Date.now() - started);
    if (values.markdown) writeFileSync(values.markdown, markdownReport(reports));
    if (regressions.length > 0) {
      keep = true;
      process.stdout.write(`\nFAILED: ${regressions.length} check(s) pass directly but not through the gateway:\n`);
      for (const { backend, row } of regressions) {
        const what = row.check === row.scenario ? row.scenario : `${row.scenario} / ${row.check}`;
        process.stdout.write(
          `  - [${backend}] ${what}: direct ${row.direct}, gateway ${row.gateway}${row.message ? ` — ${row.message}` : ''}\n`,
        );
      }
      process.stdout.write(`Logs and raw results: ${workDir}\n`);
      return 1;
    }
    process.stdout.write('\nOK: every check that passes directly also passes through the gateway.\n');
    return 0;
  } catch (error) {
    keep = true;
    process.stderr.write(`\nconformance: harness error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(`Logs: ${workDir}\n`);
    return 2;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

async function runBackend(
  spec: BackendSpec,
  run: { ctx: TargetContext; scenarios: readonly string[]; deadline: number },
): Promise<BackendReport> {
  const { ctx } = run;
  const suite = (label: string, url: string): Promise<SuiteResult> =>
    runSuite({
      group: ctx.group,
      repoRoot: ctx.repoRoot,
      url,
      outDir: join(ctx.workDir, `results-${spec.name}-${label}`),
      label: `conformance-${spec.name}-${label}`,
      scenarios: run.scenarios,
      suiteTimeoutMs: SUITE_TIMEOUT_MS,
      scenarioTimeoutMs: SCENARIO_TIMEOUT_MS,
      deadline: run.deadline,
    });
  const backend = await spec.start(ctx);
  try {
    process.stdout.write(`\n[${spec.name}] backend ${spec.title} at ${backend.url}\n`);
    const direct = await suite('direct', backend.url);
    process.stdout.write(`[${spec.name}] direct: ${describeRun(direct)}\n`);
    const gateway = await startGateway(ctx, spec.name, backend.url);
    let through: SuiteResult;
    try {
      process.stdout.write(`[${spec.name}] gateway at ${gateway.url}\n`);
      through = await suite('gateway', gateway.url);
      process.stdout.write(`[${spec.name}] through gateway: ${describeRun(through)}\n`);
    } finally {
      await ctx.group.stop(gateway.child);
    }
    const comparison = compare(direct, through);
    process.stdout.write(`\n${renderText(`${spec.name}: ${spec.title}`, comparison)}\n`);
    return { spec, direct, gateway: through, comparison };
  } finally {
    await ctx.group.stop(backend.child);
  }
}

function describeRun(result: SuiteResult): string {
  const checks = [...result.scenarios.values()].flat();
  const count = (status: string): number => checks.filter((c) => c.status === status).length;
  const missing = result.missing.length > 0 ? `; no result for ${result.missing.join(', ')}` : '';
  return `${result.scenarios.size} scenarios in ${(result.elapsedMs / 1000).toFixed(1)} s, checks: ${count('SUCCESS')} pass, ${count('FAILURE')} fail, ${count('WARNING')} warn${missing}`;
}

function printSummary(reports: readonly BackendReport[], elapsedMs: number): void {
  process.stdout.write('\nSummary (checks after collapsing repeated ids; INFO-only trace checks not counted)\n');
  for (const { spec, comparison } of reports) {
    process.stdout.write(
      `  ${spec.name.padEnd(10)} direct: ${tally(comparison, 'direct')}; through gateway: ${tally(comparison, 'gateway')}; regressions: ${comparison.regressions.length}\n`,
    );
  }
  process.stdout.write(`  total run time ${(elapsedMs / 1000).toFixed(1)} s\n`);
}

function markdownReport(reports: readonly BackendReport[]): string {
  return reports
    .map(({ spec, comparison }) => `### ${spec.name}: ${spec.title}\n\n${renderMarkdown(comparison)}\n`)
    .join('\n');
}

process.exitCode = await main();
