/**
 * Runs the conformance CLI (`@modelcontextprotocol/conformance`, server mode) against one URL and reads back the
 * per-check results it writes (`<out>/server-<scenario>-<timestamp>/checks.json`). The whole suite runs in one CLI
 * process; a scenario left without results (the CLI hung or died) is retried on its own, each try bounded.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ProcessGroup, settlesWithin } from './processes.js';

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

/** One check as the conformance package reports it (the fields this runner reads). */
export interface Check {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly status: CheckStatus;
  readonly errorMessage?: string;
  readonly details?: Record<string, unknown>;
}

export interface SuiteResult {
  /** Checks by scenario, in the order the scenarios ran. */
  readonly scenarios: ReadonlyMap<string, readonly Check[]>;
  /** Scenarios that produced no results at all (even after a retry). */
  readonly missing: readonly string[];
  readonly elapsedMs: number;
}

export interface SuiteOptions {
  readonly group: ProcessGroup;
  readonly repoRoot: string;
  readonly url: string;
  /** Directory the CLI writes results into (one per run). */
  readonly outDir: string;
  /** Name for the CLI's log file, e.g. `conformance-fixture-direct`. */
  readonly label: string;
  /** The scenarios expected (`conformance list --server`). */
  readonly scenarios: readonly string[];
  readonly suiteTimeoutMs: number;
  readonly scenarioTimeoutMs: number;
  /** Absolute time (ms since epoch) after which no retry is started. */
  readonly deadline: number;
}

const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/** The conformance CLI's entry point, inside the installed package. */
export function conformanceBin(repoRoot: string): string {
  const bin = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  if (!existsSync(bin))
    throw new Error(`${bin} not found: run npm install (dev dependency @modelcontextprotocol/conformance)`);
  return bin;
}

/** Lists the server scenarios the installed conformance package knows. */
export async function listServerScenarios(group: ProcessGroup, repoRoot: string, timeoutMs: number): Promise<string[]> {
  const child = group.start('conformance-list', {
    args: [conformanceBin(repoRoot), 'list', '--server'],
    cwd: repoRoot,
  });
  if (!(await settlesWithin(child.exited, timeoutMs))) {
    await group.stop(child);
    throw new Error(`conformance list did not finish within ${timeoutMs} ms`);
  }
  const names = [...child.output().matchAll(/^\s+- (\S+)$/gm)].map((m) => m[1] ?? '');
  if (names.length === 0) throw new Error(`conformance list printed no scenarios:\n${child.output()}`);
  return names;
}

/** Runs every server scenario against `url`; never throws for a failing server, only for a broken harness. */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = Date.now();
  const bin = conformanceBin(options.repoRoot);
  const base = ['server', '--url', options.url, '-o', options.outDir];
  await runCli(options, `${options.label}`, [bin, ...base, '--suite', 'all'], options.suiteTimeoutMs);
  let results = readResults(options.outDir);
  for (const scenario of options.scenarios) {
    if (results.has(scenario)) continue;
    if (Date.now() + options.scenarioTimeoutMs > options.deadline) break;
    await runCli(
      options,
      `${options.label}-${scenario}`,
      [bin, ...base, '--scenario', scenario],
      options.scenarioTimeoutMs,
    );
    results = readResults(options.outDir);
  }
  const ordered = new Map<string, readonly Check[]>();
  for (const scenario of options.scenarios) {
    const checks = results.get(scenario);
    if (checks) ordered.set(scenario, checks);
  }
  for (const [scenario, checks] of results) if (!ordered.has(scenario)) ordered.set(scenario, checks);
  const missing = options.scenarios.filter((scenario) => !ordered.has(scenario));
  return { scenarios: ordered, missing, elapsedMs: Date.now() - started };
}

async function runCli(options: SuiteOptions, name: string, args: string[], timeoutMs: number): Promise<void> {
  const child = options.group.start(name, { args, cwd: options.repoRoot });
  if (!(await settlesWithin(child.exited, timeoutMs))) {
    process.stderr.write(`  ! ${name}: still running after ${timeoutMs} ms, stopped (see ${child.logFile})\n`);
    await options.group.stop(child);
  }
}

/** Reads `checks.json` of every scenario in `outDir`; a scenario run twice keeps its latest results. */
export function readResults(outDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  if (!existsSync(outDir)) return results;
  for (const entry of readdirSync(outDir).sort()) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    const file = join(outDir, entry, 'checks.json');
    if (scenario === undefined || !existsSync(file)) continue;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (Array.isArray(parsed)) results.set(scenario, parsed.filter(isCheck));
    } catch {
      // A half-written file (the CLI was stopped mid-write) counts as no result.
    }
  }
  return results;
}

function isCheck(value: unknown): value is Check {
  if (typeof value !== 'object' || value === null) return false;
  const { id, status } = value as { id?: unknown; status?: unknown };
  return typeof id === 'string' && typeof status === 'string';
}
