/** Messages between the gateway's main thread and a guard worker (structured-cloned over postMessage). */
import type { FailureKind, GuardDecision, GuardPhase } from './abi.js';

/** What a worker is told about each guard it hosts. */
export interface WorkerGuard {
  readonly name: string;
  readonly module: WebAssembly.Module;
  /** The manifest's `config`, as JSON (spliced into every envelope). */
  readonly configJson: string;
  readonly failureMode: 'fail_closed' | 'fail_open';
  readonly memoryMaxPages: number;
}

export interface WorkerData {
  readonly guards: readonly WorkerGuard[];
  /** Progress cells the main thread's watchdog reads: Int32 [0] = running guard index + 1 (0 = none),
   * Int32 [1] = job sequence number; Float64 at byte 8 = when that guard started (epoch ms). */
  readonly progress: SharedArrayBuffer;
  /** Describe every guard before reporting ready (a new chain); a replacement worker skips it. */
  readonly describe: boolean;
}

export interface RunJob {
  readonly type: 'run';
  readonly seq: number;
  readonly phase: GuardPhase;
  /** The envelope without `session_labels` and `config`, as JSON. */
  readonly envelope: string;
  readonly sessionLabels: readonly string[];
  /** Guard indices to run, in order (benched guards already left out). */
  readonly order: readonly number[];
  /** `config` JSON to use instead of the manifest's, by guard index (`portcullis guards test --guard-config`). */
  readonly configs?: Readonly<Record<number, string>>;
}

export type Described = { readonly ok: true; readonly output: Uint8Array } | { readonly ok: false; readonly message: string };

export interface GuardCall {
  readonly guard: number;
  readonly ms: number;
  readonly outcome: GuardDecision['decision'] | 'failed';
}

export interface GuardFailure {
  readonly guard: number;
  readonly kind: FailureKind;
  readonly message: string;
}

export interface ChainOutcome {
  readonly decision: GuardDecision['decision'];
  /** The guard that denied or quarantined (or failed closed). */
  readonly guard?: number;
  readonly code?: string;
  readonly reason?: string;
  /** Labels the guards added (not the ones the session already had). */
  readonly labels: readonly string[];
  /** The phase's payload after redactions (arguments, result or tools), present only when something was redacted. */
  readonly redacted?: { readonly value: unknown };
  readonly redactions: readonly { readonly guard: number; readonly path: string; readonly start: number; readonly end: number; readonly replacement: string }[];
  readonly calls: readonly GuardCall[];
  readonly failures: readonly GuardFailure[];
  readonly logs: readonly { readonly guard: number; readonly message: string }[];
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly described: readonly Described[] }
  | { readonly type: 'done'; readonly seq: number; readonly outcome: ChainOutcome }
  | { readonly type: 'fatal'; readonly message: string };

/** Cells of the progress buffer. */
export const PROGRESS = { bytes: 16, guardCell: 0, seqCell: 1, startedByteOffset: 8 } as const;
