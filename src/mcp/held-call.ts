/**
 * A call a stage quarantined (DESIGN.md §2 `quarantined` -32086): it is stored for review and the client's request
 * stays open up to `quarantine.hold_s`, with MCP progress notifications when the client asked for progress. Approved
 * in time, the caller goes on with the call; rejected, the client gets the reviewer's reason; undecided, the client
 * gets the item id with status `pending`, and an approval after that lets one identical retry through
 * (`approvalFor` + `claim`).
 */
import { denialError } from '../pipeline/deny-reasons.js';
import type { PipelineResult } from '../pipeline/types.js';
import type { InflightCall, ClientSession } from './client-session.js';
import { askUserToConfirm, mayConfirmInBand } from './confirm-in-band.js';
import { progressTokenOf } from './jsonrpc.js';
import { type HeldItem, type HoldRequest, type RouterContext, sendToClient } from './router-context.js';

export type HoldOutcome =
  | { readonly kind: 'approved'; readonly item: HeldItem }
  | { readonly kind: 'refused'; readonly error: ReturnType<typeof denialError> };

/** The stage whose verdict held the call (the last one run), as the item records it. */
export function heldStageOf(pipeline: PipelineResult, half: 'request' | 'response'): string {
  const stage = [...pipeline.outcomes].reverse().find((o) => o.outcome === 'quarantine')?.stage ?? 'unknown';
  return half === 'response' ? `response:${stage}` : stage;
}

/**
 * Holds the call; with `wait`, waits for a decision. Never throws: a hold that cannot be stored fails closed with an
 * answer, and an agent over its pending limit is rate limited.
 */
export async function holdAndWait(
  ctx: RouterContext,
  session: ClientSession,
  call: InflightCall,
  hold: HoldRequest,
  pipeline: PipelineResult,
  options: { readonly half: 'request' | 'response'; readonly wait: boolean },
): Promise<HoldOutcome> {
  const verdict = pipeline.verdict;
  if (verdict.kind !== 'quarantine') return { kind: 'refused', error: denialError('internal_error') };
  let held: ReturnType<RouterContext['quarantine']['hold']>;
  const heldStage = heldStageOf(pipeline, options.half);
  try {
    held = ctx.quarantine.hold({ ...hold, reason: verdict.reason, findings: verdict.findings, heldStage });
  } catch (error) {
    // A hold that cannot be stored is not a hold: fail closed, with an answer.
    ctx.logger.error('quarantine hold failed: call failed closed', { method: hold.method, error });
    return { kind: 'refused', error: denialError('internal_error') };
  }
  if (!held.ok) return { kind: 'refused', error: denialError('rate_limited', { retry_after_ms: held.retryAfterMs }) };
  const pending = { kind: 'refused', error: denialError('quarantined', { quarantine_id: held.id, status: 'pending' }) } as const;
  if (!options.wait) return pending;

  const token = progressTokenOf(hold.params);
  const onTick =
    token === undefined
      ? undefined
      : (elapsedMs: number, totalMs: number): void => {
          const params = { progressToken: token, progress: Math.floor(elapsedMs / 1000), total: Math.round(totalMs / 1000), message: `held for review as ${held.id}` };
          void sendToClient(ctx, session, { jsonrpc: '2.0', method: 'notifications/progress', params }, call.id);
        };
  // An approval-policy hold may also be confirmed by the client's own user (quarantine.elicitation), whichever
  // decides first; the question is withdrawn when the wait ends.
  const asking = new AbortController();
  if (mayConfirmInBand(ctx, session, heldStage)) {
    void askUserToConfirm(ctx, session, call, hold, held.id, asking.signal).then((answer) => {
      if (answer !== 'no_answer') ctx.quarantine.decideByUser(held.id, hold.agent, answer === 'accepted');
    });
  }
  const waited = await ctx.quarantine.waitForDecision(held.id, call.abort.signal, onTick).finally(() => asking.abort());
  switch (waited.kind) {
    case 'approved':
      // The approval is this call's; an identical retry racing it must not use it too.
      return ctx.quarantine.claim(held.id) ? { kind: 'approved', item: waited.item } : pending;
    case 'rejected':
      return {
        kind: 'refused',
        error: denialError('quarantined', { quarantine_id: held.id, status: 'rejected', review_reason: waited.item.decisionReason ?? '' }),
      };
    case 'pending':
    case 'gone':
      return pending;
  }
}

/** The result a held response was stored with, for an approved identical retry: released, never executed again. */
export function storedResult(item: HeldItem): unknown {
  try {
    const stored = JSON.parse(item.payload ?? 'null') as { result?: unknown } | null;
    return stored?.result;
  } catch {
    return undefined;
  }
}
