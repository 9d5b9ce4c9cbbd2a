/** The machine a run happened on, for bench/RESULTS.md: numbers mean little without it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly date: string;
  /** Short commit, with "+dirty" when the tree has uncommitted changes. */
  readonly commit: string;
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  readonly loadAverage: number;
}

/** Describes this machine and checkout (Linux: the CPU model comes from /proc/cpuinfo). */
export function describeMachine(repoRoot: string): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(repoRoot),
    loadAverage: loadavg()[0] ?? 0,
  };
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(repoRoot: string): string {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']).trim();
    return git(['status', '--porcelain']).trim() === '' ? commit : `${commit}+dirty`;
  } catch {
    return 'unknown';
  }
}
