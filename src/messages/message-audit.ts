/** Builds the audit row of a /v1/messages request from what happened to it (as mcp/audit-entry.ts does for /mcp). */
import { credentialSpans, maskValue, rebasePointer } from '../scanner/mask.js';
import type { DenyReason } from '../pipeline/deny-reasons.js';
import { DENY_REASONS } from '../pipeline/deny-reasons.js';
import type { MessageContext, PipelineResult } from '../pipeline/types.js';
import type { AuditDecision, AuditRecord } from '../store/types.js';

/** What the gateway did with a request once the pipeline had run. */
export type MessageResult =
  | {
      readonly kind: 'done';
      readonly status: 200 | 201;
      readonly body: Record<string, unknown>;
      /** What the audit payload records of the answer (a read records ids, not the messages again). */
      readonly recorded: unknown;
      /** The id of a message stored pending, published once the audit row is committed. */
      readonly pendingId?: number;
    }
  | {
      readonly kind: 'denied';
      readonly reason: DenyReason;
      /** Client-visible fields (`retry_after_ms`). */
      readonly data?: Readonly<Record<string, unknown>>;
      /** Operator-facing detail of a denial made after the pipeline (the pipeline's own is in its verdict). */
      readonly detail?: string;
    };

export interface MessageOutcome {
  readonly ctx: MessageContext;
  readonly pipeline: PipelineResult;
  readonly result: MessageResult;
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly mode: 'enforce' | 'observe';
}

/** The decision recorded: what the pipeline said, or `deny` when the caller got a gateway error after it. */
export function messageDecisionOf(outcome: Pick<MessageOutcome, 'pipeline' | 'result'>): AuditDecision {
  const verdict = outcome.pipeline.verdict;
  if (verdict.kind === 'deny') return 'deny';
  if (verdict.kind === 'quarantine') return 'quarantine';
  return outcome.result.kind === 'denied' ? 'deny' : 'allow';
}

export function messageRecord(outcome: MessageOutcome): AuditRecord {
  const { ctx, pipeline, result } = outcome;
  const verdict = pipeline.verdict;
  const reason = verdict.kind !== 'continue' ? verdict.reason : result.kind === 'denied' ? result.reason : null;
  const detail = verdict.kind === 'deny' ? verdict.detail : result.kind === 'denied' ? (result.detail ?? null) : null;
  return {
    ts: outcome.startedAt,
    kind: 'request',
    sessionId: null,
    agent: pipeline.facts.agent,
    verified: pipeline.facts.verified,
    source: ctx.source,
    backend: null,
    method: ctx.method,
    // The recipient of a send, so `portcullis logs --tool <agent>` finds the messages sent to an agent.
    tool: ctx.target?.kind === 'agent' ? ctx.target.name : null,
    requestId: null,
    decision: messageDecisionOf(outcome),
    reason,
    detail,
    errorCode: result.kind === 'denied' ? DENY_REASONS[result.reason].code : null,
    forwarded: result.kind === 'done',
    mode: outcome.mode,
    findings: pipeline.findings,
    stages: pipeline.outcomes,
    latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
    // A credential in a message is masked in the stored payload, as in a tool call's.
    payload: maskValue(
      {
        request: ctx.payload,
        response: result.kind === 'done' ? result.recorded : { error: { reason: result.reason, ...result.data } },
      },
      credentialSpans(pipeline.findings, (pointer) => rebasePointer(pointer, '/params', '/request')),
    ),
  };
}
