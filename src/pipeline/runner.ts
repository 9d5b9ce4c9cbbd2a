/**
 * The pipeline runner: runs an ordered stage list over one message, times every stage, and fails closed.
 * Work that spans stages (timing, outcome records, the observe mode) lives here and nowhere else (STYLE.md §3).
 */
import type { StageOutcome } from '../store/types.js';
import type { Facts, Finding, MessageContext, PipelineResult, Stage, Verdict } from './types.js';

export interface RunnerOptions {
  readonly mode: 'enforce' | 'observe';
  /** Told about a stage that threw: a bug, answered with `internal_error`. */
  readonly onStageError: (stage: string, error: unknown) => void;
  /**
   * A person approved this exact call after this stage held it: a quarantine from this stage passes (recorded as
   * `continue` with reason `approved`); every other stage still decides as usual.
   */
  readonly approvedStage?: string;
}

const CONTINUE: Verdict = { kind: 'continue' };

/** Runs `stages` in order over `ctx`. Never throws: a throwing stage becomes an `internal_error` denial. */
export async function runPipeline(
  stages: readonly Stage[],
  ctx: MessageContext,
  options: RunnerOptions,
): Promise<PipelineResult> {
  let facts: Facts = ctx.facts;
  const findings: Finding[] = [];
  const outcomes: StageOutcome[] = [];
  let blocking: Verdict | undefined;
  let payload: { readonly value: unknown } | undefined;

  for (const stage of stages) {
    const started = performance.now();
    const checked = await checkSafely(stage, { ...ctx, facts, ...(payload ? { payload: payload.value } : {}) }, options);
    const ms = performance.now() - started;
    const approved = checked.kind === 'quarantine' && stage.name === options.approvedStage;
    const verdict: Verdict = approved ? { kind: 'continue', findings: checked.findings } : checked;
    outcomes.push(approved ? { stage: stage.name, outcome: 'continue', reason: 'approved', ms: Math.round(ms * 1000) / 1000 } : describeOutcome(stage.name, verdict, ms));
    if (verdict.findings) findings.push(...verdict.findings);
    switch (verdict.kind) {
      case 'continue':
        if (verdict.facts) facts = { ...facts, ...verdict.facts };
        if (verdict.payload) payload = verdict.payload;
        break;
      case 'deny':
      case 'quarantine':
        blocking ??= verdict;
        // In enforce mode the first blocking verdict ends the run; observe mode runs every stage and records all.
        if (options.mode === 'enforce') return { verdict, forward: false, facts, findings, outcomes, ...(payload ? { payload } : {}) };
        break;
    }
  }
  return { verdict: blocking ?? CONTINUE, forward: true, facts, findings, outcomes, ...(payload ? { payload } : {}) };
}

async function checkSafely(stage: Stage, ctx: MessageContext, options: RunnerOptions): Promise<Verdict> {
  try {
    return await stage.check(ctx);
  } catch (error) {
    options.onStageError(stage.name, error);
    return { kind: 'deny', reason: 'internal_error', detail: `stage ${stage.name} failed` };
  }
}

function describeOutcome(stage: string, verdict: Verdict, ms: number): StageOutcome {
  const rounded = Math.round(ms * 1000) / 1000;
  switch (verdict.kind) {
    case 'continue':
      return { stage, outcome: 'continue', ms: rounded };
    case 'deny':
      return {
        stage,
        outcome: verdict.reason === 'internal_error' ? 'error' : 'deny',
        reason: verdict.reason,
        ms: rounded,
      };
    case 'quarantine':
      return { stage, outcome: 'quarantine', reason: verdict.reason, ms: rounded };
  }
}
