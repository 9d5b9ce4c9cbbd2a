/** What one run measured: the input of the report and the budget checks. */
import type { AuditResult } from './audit.js';
import type { GuardResult } from './guards.js';
import type { LatencyResult } from './latency.js';
import type { MachineInfo } from './lib/machine.js';
import type { Summary } from './lib/stats.js';
import type { MemoryResult } from './memory.js';
import type { PipelineResult } from './pipeline.js';
import type { ScannerResult } from './scanner.js';
import type { ThroughputResult } from './throughput.js';

export interface SdkReference {
  readonly calls: number;
  readonly direct: Summary;
  readonly gateway: Summary;
}

export interface BenchResults {
  readonly quick: boolean;
  readonly machine: MachineInfo;
  /** What the measured gateway path ran, read back from the gateway's audit log. */
  readonly pipeline: PipelineResult;
  readonly latency: LatencyResult;
  readonly sdk: SdkReference;
  readonly throughput: ThroughputResult;
  /** The first entry is the one checked against the budget. */
  readonly audit: readonly [AuditResult, ...AuditResult[]];
  readonly memory: MemoryResult;
  readonly scanner: ScannerResult;
  readonly guards: GuardResult;
  readonly elapsedSeconds: number;
}
