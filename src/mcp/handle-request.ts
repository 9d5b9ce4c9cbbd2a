/**
 * One client request, start to finish: resolve its target, run the request pipeline, act (answer locally, fan out,
 * or forward), run the response pipeline, write the audit row, and only then answer the client. The audit row is
 * durable before the client sees the answer; if it cannot be written the call fails closed (DESIGN.md §4).
 */
import { runPipeline } from '../pipeline/runner.js';
import { denialError } from '../pipeline/deny-reasons.js';
import type { Facts, HttpFacts, MessageContext, Phase, PipelineResult, Stage } from '../pipeline/types.js';
import type { ClientSession, InflightCall } from './client-session.js';
import { requestRecord } from './audit-entry.js';
import { LIST_METHODS, fanOutList } from './fan-out.js';
import { initializeSession } from './initialize-session.js';
import { type Answer, type JSONRPCRequest, JSONRPC, idKey, responseFor } from './jsonrpc.js';
import { type HeldItem, type HoldRequest, type RouterContext, linkOf, sendToClient } from './router-context.js';
import { forwardCall } from './forward-call.js';
import { holdAndWait, storedResult } from './held-call.js';
import { type RoutedCall, ROUTED_METHODS, resolveTarget } from './targets.js';

/** Where a message came from on the HTTP side. */
export interface MessageOrigin {
  readonly headers: Readonly<Record<string, string>>;
  /** Registers a callback for when the client's HTTP request goes away before its answer. */
  readonly onGone?: (callback: () => void) => void;
  /** The carrying HTTP request (method, URL, raw body), for signature verification. */
  readonly http?: HttpFacts;
}

const REQUEST_PHASE_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

export function phaseOf(method: string): Phase {
  return REQUEST_PHASE_METHODS.has(method) ? 'request' : 'housekeeping';
}

interface Acted {
  readonly answer: Answer;
  readonly forwarded: boolean;
  readonly detail?: string;
}

export async function handleClientRequest(
  ctx: RouterContext,
  session: ClientSession,
  request: JSONRPCRequest,
  origin: MessageOrigin,
): Promise<void> {
  const startedAt = Date.now();
  const started = performance.now();
  const key = idKey(request.id);
  if (session.inflight.has(key)) {
    const error = { code: JSONRPC.invalidRequest, message: 'A request with this id is already in flight' };
    await sendToClient(ctx, session, responseFor(request.id, { error }), request.id);
    return;
  }
  const params = (request.params ?? {}) as Record<string, unknown>;
  const routed = ROUTED_METHODS.has(request.method) ? resolveTarget(ctx, request.method, params) : undefined;
  const call: InflightCall = { id: request.id, method: request.method, backend: routed?.target.backend, abort: new AbortController() };
  session.inflight.set(key, call);
  origin.onGone?.(() => call.abort.abort());
  session.lastActivity = Date.now();
  const live = ctx.live();
  try {
    const facts: Facts = { agent: session.agent, verified: session.verified, labels: [] };
    const phase = phaseOf(request.method);
    const base = {
      phase, sessionId: session.id, source: session.source, method: request.method, headers: origin.headers, http: origin.http,
    };
    const messageCtx: MessageContext = { ...base, target: routed?.target, payload: params, facts };
    const hold = holdOf(session, request, routed, params);
    const judged = await judgeRequest(ctx, live, session, call, messageCtx, hold);
    let { pipeline } = judged;
    if (request.method === 'initialize' && pipeline.forward) {
      // The session belongs to the agent the initialize proved (or claimed, unsigned); later requests must match.
      session.agent = pipeline.facts.agent;
      session.verified = pipeline.facts.verified;
    }
    // A guard may have redacted the arguments: the backend, the audit row and later stages see the redacted call.
    const sent: JSONRPCRequest = pipeline.payload ? { ...request, params: pipeline.payload.value as JSONRPCRequest['params'] } : request;
    // An approved held response is released as it was stored: the backend is not called again.
    const released = pipeline.forward && judged.approval?.held === 'response' ? storedResult(judged.approval) : undefined;
    let acted: Acted =
      released !== undefined
        ? { answer: { result: released as never }, forwarded: false, detail: `released as stored by approval ${judged.approval?.id}` }
        : pipeline.forward
          ? withDetail(await act(ctx, session, call, sent, routed), approvalDetail(judged))
          : { answer: { error: judged.refusal ?? denialFor(pipeline) }, forwarded: false };
    let heldResult: unknown;
    const resultPhase = phase === 'request' ? 'response' : request.method === 'tools/list' ? 'tools_list' : undefined;
    if (resultPhase && pipeline.forward && released === undefined && 'result' in acted.answer && live.stages.response.length > 0) {
      const result = acted.answer.result;
      const response = await runStages(ctx, live.config.mode, live.stages.response, { ...messageCtx, phase: resultPhase, payload: result, facts: pipeline.facts });
      if (response.forward) {
        pipeline = combine(pipeline, response);
        if (response.payload) acted = { ...acted, answer: { result: response.payload.value as typeof result } };
      } else {
        const heldResponse = { ...holdOf(session, sent, routed, (sent.params ?? {}) as Record<string, unknown>), held: 'response' as const, result };
        const outcome =
          response.verdict.kind === 'quarantine'
            ? await holdAndWait(ctx, session, call, heldResponse, response, { half: 'response', wait: !judged.waited })
            : undefined;
        if (outcome?.kind === 'approved') {
          // Released as it ran, once: the backend is not called again.
          pipeline = combine(pipeline, { ...response, verdict: { kind: 'continue' }, forward: true });
          acted = { ...acted, answer: { result: (response.payload?.value ?? result) as typeof result }, detail: `released by approval ${outcome.item.id}` };
        } else {
          pipeline = combine(pipeline, response);
          heldResult = result;
          acted = { ...acted, answer: { error: outcome?.error ?? denialFor(response) } };
        }
      }
    }
    const outcome = {
      session, request: sent, target: routed?.target, pipeline, answer: acted.answer, forwarded: acted.forwarded,
      detail: acted.detail, startedAt, latencyMs: performance.now() - started, mode: live.config.mode, heldResult,
    };
    const record = requestRecord(outcome);
    let answer = acted.answer;
    let decision: string = record.decision;
    try {
      await ctx.audit.append(record);
    } catch (error) {
      ctx.metrics.countAuditFailure();
      ctx.logger.error('audit write failed: call failed closed', { method: request.method, error });
      answer = { error: denialError('internal_error') };
      decision = 'deny';
    }
    await sendToClient(ctx, session, responseFor(request.id, answer), request.id);
    ctx.metrics.observeRequest(request.method, decision, (performance.now() - started) / 1000);
  } finally {
    session.inflight.delete(key);
    session.lastActivity = Date.now();
  }
}

function runStages(
  ctx: RouterContext,
  mode: 'enforce' | 'observe',
  stages: readonly Stage[],
  messageCtx: MessageContext,
  approvedStage?: string,
): Promise<PipelineResult> {
  return runPipeline(stages, messageCtx, {
    mode,
    onStageError: (stage, error) => ctx.logger.error('pipeline stage failed', { stage, error }),
    ...(approvedStage !== undefined ? { approvedStage } : {}),
  });
}

interface JudgedRequest {
  readonly pipeline: PipelineResult;
  /** The answer for a call that was held and not released. */
  readonly refusal?: ReturnType<typeof denialError>;
  /** An earlier approval of this exact call that this request used. */
  readonly approval?: HeldItem;
  /** The approval that released this call while it waited. */
  readonly released?: HeldItem;
  /** The request waited for a person already (a held response then answers at once). */
  readonly waited: boolean;
}

/**
 * The request half: the stages, then, when they hold the call, the wait for a person. An identical retry of a call
 * approved after its client stopped waiting uses that approval (once): the stage that held it passes.
 */
async function judgeRequest(
  ctx: RouterContext,
  /** The config the request started under: it finishes under it, even across a wait and a reload. */
  live: ReturnType<RouterContext['live']>,
  session: ClientSession,
  call: InflightCall,
  messageCtx: MessageContext,
  hold: HoldRequest,
): Promise<JudgedRequest> {
  const run = (approvedStage?: string): Promise<PipelineResult> => runStages(ctx, live.config.mode, live.stages.request, messageCtx, approvedStage);
  const approval = messageCtx.phase === 'request' && live.config.mode === 'enforce' ? claimApproval(ctx, hold) : undefined;
  const pipeline = await run(approval?.held === 'request' ? approval.heldStage : undefined);
  if (pipeline.forward || pipeline.verdict.kind !== 'quarantine') return { pipeline, waited: false, ...(approval ? { approval } : {}) };
  const outcome = await holdAndWait(ctx, session, call, hold, pipeline, { half: 'request', wait: true });
  // Approved in time: the stage that held it passes; every other stage decides again.
  if (outcome.kind === 'approved') return { pipeline: await run(outcome.item.heldStage), waited: true, released: outcome.item };
  return { pipeline, refusal: outcome.error, waited: true };
}

/** Finds and uses an approval of exactly this call; undefined when there is none (or another call just used it). */
function claimApproval(ctx: RouterContext, hold: HoldRequest): HeldItem | undefined {
  const approval = ctx.quarantine.approvalFor(hold);
  return approval && ctx.quarantine.claim(approval.id) ? approval : undefined;
}

/** What a quarantine verdict holds: the call as the router resolved it. */
function holdOf(session: ClientSession, request: JSONRPCRequest, routed: RoutedCall | undefined, params: Record<string, unknown>): HoldRequest {
  return {
    held: 'request', agent: session.agent, sessionId: session.id, backend: routed?.target.backend ?? null, method: request.method,
    tool: routed?.target.name ?? null, params,
  };
}

/** The audit detail of a call an approval let through: which item, and who decided. */
function approvalDetail(judged: JudgedRequest): string | undefined {
  const item = judged.released ?? judged.approval;
  if (!item) return undefined;
  return `${judged.released ? 'released by' : 'retried under'} approval ${item.id}${item.decidedBy ? ` by ${item.decidedBy}` : ''}`;
}

function withDetail(acted: Acted, detail: string | undefined): Acted {
  return detail === undefined || acted.detail !== undefined ? acted : { ...acted, detail };
}

/** The answer for a pipeline that did not forward (a quarantine was answered by holdAndWait already). */
function denialFor(pipeline: PipelineResult): ReturnType<typeof denialError> {
  const verdict = pipeline.verdict;
  return verdict.kind === 'deny' ? denialError(verdict.reason, verdict.data) : denialError('internal_error');
}

/** The request and response halves of one call, as one audit row sees them. */
function combine(request: PipelineResult, response: PipelineResult): PipelineResult {
  return {
    verdict: response.verdict.kind === 'continue' ? request.verdict : response.verdict,
    forward: request.forward && response.forward,
    facts: response.facts,
    findings: [...request.findings, ...response.findings],
    outcomes: [...request.outcomes, ...response.outcomes.map((o) => ({ ...o, stage: `response:${o.stage}` }))],
  };
}

async function act(
  ctx: RouterContext,
  session: ClientSession,
  call: InflightCall,
  request: JSONRPCRequest,
  routed: RoutedCall | undefined,
): Promise<Acted> {
  const params = request.params as Record<string, unknown> | undefined;
  if (request.method === 'initialize') return { answer: initializeSession(ctx, session, params ?? {}), forwarded: false };
  if (request.method === 'ping') return { answer: { result: {} }, forwarded: false };
  if (request.method in LIST_METHODS) {
    return { answer: await fanOutList(ctx, session, request.method, params, call.abort.signal), forwarded: true };
  }
  if (request.method === 'logging/setLevel') return broadcastSetLevel(ctx, session, params ?? {});
  if (ROUTED_METHODS.has(request.method)) {
    if (!routed) return { answer: { error: denialError('acl_denied') }, forwarded: false, detail: 'no backend offers this target' };
    return forwardCall(ctx, session, call, request, routed);
  }
  return { answer: { error: { code: JSONRPC.methodNotFound, message: `Method not found: ${request.method}` } }, forwarded: false };
}

/** `logging/setLevel` goes to every backend that logs; the client gets one answer. */
async function broadcastSetLevel(ctx: RouterContext, session: ClientSession, params: Record<string, unknown>): Promise<Acted> {
  const targets = [...ctx.backends.values()].filter((b) => b.status().state === 'up' && 'logging' in (b.info()?.capabilities ?? {}));
  await Promise.all(
    targets.map(async (backend) => {
      const lookup = await backend.channelFor(linkOf(session));
      if (!lookup.ok) return;
      session.backends.add(backend.id);
      await lookup.channel.request('logging/setLevel', params, { timeoutMs: backend.config.timeout_s * 1000 });
    }),
  );
  return { answer: { result: {} }, forwarded: targets.length > 0 };
}
