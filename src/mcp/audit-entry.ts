/** Builds the audit row of a client request from what happened to it. */
import type { PipelineResult, Target } from '../pipeline/types.js';
import { isGatewayError } from '../pipeline/deny-reasons.js';
import { credentialSpans, maskValue, rebasePointer } from '../scanner/mask.js';
import type { AuditDecision, AuditRecord } from '../store/types.js';
import type { ClientSession } from './client-session.js';
import type { Answer, JSONRPCRequest } from './jsonrpc.js';

export interface RequestOutcome {
  readonly session: ClientSession;
  readonly request: JSONRPCRequest;
  readonly target: Target | undefined;
  readonly pipeline: PipelineResult | undefined;
  readonly answer: Answer;
  readonly forwarded: boolean;
  /** Operator-facing detail of a denial or failure. */
  readonly detail: string | undefined;
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly mode: 'enforce' | 'observe';
  /** The backend's result when the response stages blocked or held it (the client got an error instead). */
  readonly heldResult?: unknown;
}

/** The decision recorded for a request: what the pipeline said, or `deny` when the client got a gateway error. */
function decisionOf(outcome: RequestOutcome): AuditDecision {
  const verdict = outcome.pipeline?.verdict;
  if (verdict?.kind === 'deny') return 'deny';
  if (verdict?.kind === 'quarantine') return 'quarantine';
  if ('error' in outcome.answer && isGatewayError(outcome.answer.error)) return 'deny';
  return 'allow';
}

export function requestRecord(outcome: RequestOutcome): AuditRecord {
  const { session, request, answer, pipeline } = outcome;
  const error = 'error' in answer ? answer.error : undefined;
  const verdict = pipeline?.verdict;
  const reason =
    verdict && verdict.kind !== 'continue'
      ? verdict.reason
      : error && isGatewayError(error)
        ? String((error.data as { reason: string }).reason)
        : null;
  return {
    ts: outcome.startedAt,
    kind: 'request',
    sessionId: session.id,
    agent: pipeline?.facts.agent ?? session.agent,
    verified: pipeline?.facts.verified ?? session.verified,
    source: session.source,
    backend: outcome.target?.backend ?? null,
    method: request.method,
    tool: outcome.target?.name ?? null,
    requestId: String(request.id),
    decision: decisionOf(outcome),
    reason,
    detail: verdict?.kind === 'deny' ? verdict.detail : (outcome.detail ?? null),
    errorCode: error?.code ?? null,
    forwarded: outcome.forwarded,
    mode: outcome.mode,
    findings: pipeline?.findings ?? [],
    stages: pipeline?.outcomes ?? [],
    latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
    payload: maskedPayload(outcome),
  };
}

/**
 * The stored payload: the request's params and the answer, with credential findings masked. Finding pointers are
 * rooted at the message (`/params/...` for the request, `/result/...` for the response's result).
 */
function maskedPayload(outcome: RequestOutcome): { request: unknown; response: unknown } {
  const { request, answer, pipeline } = outcome;
  const payload = {
    request: request.params ?? null,
    response: 'error' in answer ? { error: answer.error } : { result: answer.result },
    // A blocked or held response is not in the answer the client got; the operator still needs to see it.
    ...(outcome.heldResult !== undefined ? { held_result: outcome.heldResult } : {}),
  };
  const spans = credentialSpans(pipeline?.findings ?? [], (pointer) => [
    ...rebasePointer(pointer, '/params', '/request'),
    ...rebasePointer(pointer, '/result', '/response/result'),
    ...rebasePointer(pointer, '/result', '/held_result'),
  ]);
  return maskValue(payload, spans);
}
