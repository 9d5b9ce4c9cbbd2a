/**
 * Agent-to-agent messages (DESIGN.md §1): a send or a read, start to finish. Each runs through the gateway's one
 * request pipeline (the running `live.stages.request`, via the runner), then acts on the inbox store, writes its audit
 * row, and only then answers. A sent message becomes readable only once its audit row is committed; if the row
 * cannot be written the message is discarded and the caller gets internal_error (fail closed, DESIGN.md §4).
 *
 * - send: phase `request` (a call that does work: it counts against the agent's rate limit), target
 *   `{kind: 'agent', name: <recipient>}` (check-acl decides it with `can_message`).
 * - read: phase `housekeeping`, no target: an agent reads only its own inbox, which needs no ACL; limit-source,
 *   the signature and suspension still apply.
 */
import type { Config } from '../config/schema.js';
import type { KeyLookup } from '../identity/key-state.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { runPipeline } from '../pipeline/runner.js';
import type { MessageContext, PipelineResult, Stage } from '../pipeline/types.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import type { AuditLog } from '../store/types.js';
import { type MessageAnswer, MESSAGE_PROBLEMS, denialAnswer, invalidInputAnswer, problemAnswer } from './answers.js';
import { claimAgent } from './claimed-agent.js';
import { type MessageOutcome, type MessageResult, messageDecisionOf, messageRecord } from './message-audit.js';
import { type ReadInput, type SendInput, parseReadQuery, parseSendBody } from './message-input.js';

/** A /v1/messages request as the HTTP edge hands it over (after its size, origin and media-type checks). */
export interface MessageRequest {
  readonly method: 'GET' | 'POST';
  /** The full request URL as received (the signature covers its authority, path and query). */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body (`''` for a read). */
  readonly body: string;
  /** The caller's network address (after `server.trusted_proxies`). */
  readonly source: string;
}

export interface MessageServiceDeps {
  /** The running config and request stages (a config reload swaps them; one request uses one snapshot). */
  readonly live: () => { readonly config: Config; readonly stages: { readonly request: readonly Stage[] } };
  readonly store: MessageStore;
  readonly audit: AuditLog;
  /** The current agent keys, to name the agent a signed request claims to be. */
  readonly keys: () => KeyLookup;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly isDraining: () => boolean;
  readonly now?: () => number;
}

export interface MessageService {
  send(request: MessageRequest): Promise<MessageAnswer>;
  read(request: MessageRequest): Promise<MessageAnswer>;
  /** Requests between their pipeline run and their answer (shutdown waits for them, so their rows are written). */
  inflightCount(): number;
}

type Act<T> = (input: T, pipeline: PipelineResult, config: Config) => MessageResult;

export function createMessageService(deps: MessageServiceDeps): MessageService {
  const now = deps.now ?? Date.now;
  let inflight = 0;

  /** The part sends and reads share: claim, pipeline, act, audit, answer. */
  const handle = async <T>(
    request: MessageRequest,
    call: { method: string; input: T; ctx: Partial<MessageContext>; act: Act<T> },
  ): Promise<MessageAnswer> => {
    const claim = claimAgent(request.headers, deps.keys());
    if (!claim.ok) return problemAnswer(MESSAGE_PROBLEMS.bad_agent_name);
    if (deps.isDraining()) return problemAnswer(MESSAGE_PROBLEMS.shutting_down);
    inflight++;
    try {
      const startedAt = now();
      const started = performance.now();
      const live = deps.live();
      const mode = live.config.mode;
      const ctx: MessageContext = {
        phase: 'housekeeping',
        sessionId: undefined,
        source: request.source,
        method: call.method,
        target: undefined,
        payload: {},
        headers: request.headers,
        http: { method: request.method, url: request.url, body: request.body },
        facts: { agent: claim.agent, verified: false, labels: [] },
        ...call.ctx,
      };
      const pipeline = await runPipeline(live.stages.request, ctx, {
        mode,
        onStageError: (stage, error) => deps.logger.error('pipeline stage failed', { stage, error }),
      });
      const acted = pipeline.forward
        ? actSafely(() => call.act(call.input, pipeline, live.config))
        : deniedBy(pipeline);
      const result = await record({
        ctx,
        pipeline,
        result: acted,
        startedAt,
        latencyMs: performance.now() - started,
        mode,
      });
      deps.metrics.observeRequest(
        call.method,
        messageDecisionOf({ pipeline, result }),
        (performance.now() - started) / 1000,
      );
      return answerOf(result);
    } finally {
      inflight--;
    }
  };

  const actSafely = (act: () => MessageResult): MessageResult => {
    try {
      return act();
    } catch (error) {
      deps.logger.error('message store failed', { error });
      return { kind: 'denied', reason: 'internal_error', detail: 'message store failed' };
    }
  };

  /** Writes the audit row, then publishes a sent message; either failing fails the request closed. */
  const record = async (outcome: MessageOutcome): Promise<MessageResult> => {
    const { result } = outcome;
    const pendingId = result.kind === 'done' ? result.pendingId : undefined;
    try {
      await deps.audit.append(messageRecord(outcome));
    } catch (error) {
      deps.metrics.countAuditFailure();
      deps.logger.error('audit write failed: message request failed closed', { method: outcome.ctx.method, error });
      if (pendingId !== undefined) discardSafely(pendingId);
      return { kind: 'denied', reason: 'internal_error' };
    }
    if (pendingId === undefined) return result;
    try {
      deps.store.publish(pendingId);
      return result;
    } catch (error) {
      deps.logger.error('message store failed to publish an audited message', { id: pendingId, error });
      discardSafely(pendingId);
      return { kind: 'denied', reason: 'internal_error' };
    }
  };

  const discardSafely = (id: number): void => {
    try {
      deps.store.discard(id);
    } catch (error) {
      // It stays pending, so unreadable, until the next start removes it.
      deps.logger.error('could not discard an unaudited message', { id, error });
    }
  };

  const deliver: Act<SendInput> = (input, pipeline, config) => {
    const sender = pipeline.facts.agent;
    // The sender is who the pipeline established (the signature's keyid); a `from` naming anyone else is refused
    // with the one answer every identity failure gets.
    if (input.from !== undefined && input.from !== sender) {
      return {
        kind: 'denied',
        reason: 'bad_signature',
        detail: `"from" names ${JSON.stringify(input.from.slice(0, 64))}, the sender is ${sender}`,
      };
    }
    const limits = { ttlMs: config.messages.ttl_s * 1000, maxPerInbox: config.messages.max_per_inbox };
    const added = deps.store.addPending(
      { sender, recipient: input.to, content: input.content, metadata: input.metadata },
      limits,
      now(),
    );
    if (!added.ok) {
      // A storage bound, not a policy: enforced in observe mode too.
      const wait = Math.max(1, Math.ceil(added.retryAfterMs));
      return {
        kind: 'denied',
        reason: 'rate_limited',
        data: { retry_after_ms: wait },
        detail: `inbox of ${input.to} is full (${added.held} of messages.max_per_inbox ${limits.maxPerInbox}); retry_after_ms=${wait}`,
      };
    }
    const body = { id: added.id, expires_at: new Date(added.expiresAt).toISOString() };
    return { kind: 'done', status: 201, body, recorded: body, pendingId: added.id };
  };

  const list: Act<ReadInput> = (input, pipeline) => {
    const rows = deps.store.read(pipeline.facts.agent, input.after, input.limit, now());
    const last = rows.at(-1);
    const nextCursor = String(last ? last.id : input.after);
    return {
      kind: 'done',
      status: 200,
      body: { messages: rows.map(viewOf), next_cursor: nextCursor },
      // The send rows hold the contents; a read records which messages it handed out.
      recorded: { ids: rows.map((row) => row.id), next_cursor: nextCursor },
    };
  };

  return {
    async send(request) {
      const input = parseSendBody(request.body);
      if (!input.ok) return invalidInputAnswer(input.problem, input.message);
      const { to, content, metadata } = input.value;
      return handle(request, {
        method: 'messages/send',
        input: input.value,
        ctx: { phase: 'request', target: { backend: '', kind: 'agent', name: to }, payload: { to, content, metadata } },
        act: deliver,
      });
    },
    async read(request) {
      const input = parseReadQuery(new URL(request.url).searchParams);
      if (!input.ok) return invalidInputAnswer(input.problem, input.message);
      return handle(request, {
        method: 'messages/read',
        input: input.value,
        ctx: { payload: { ...input.value } },
        act: list,
      });
    },
    inflightCount: () => inflight,
  };
}

function deniedBy(pipeline: PipelineResult): MessageResult {
  const verdict = pipeline.verdict;
  switch (verdict.kind) {
    case 'continue':
      return { kind: 'denied', reason: 'internal_error' };
    case 'deny':
      return { kind: 'denied', reason: verdict.reason, ...(verdict.data ? { data: verdict.data } : {}) };
    case 'quarantine':
      return { kind: 'denied', reason: verdict.reason };
  }
}

function answerOf(result: MessageResult): MessageAnswer {
  return result.kind === 'done'
    ? { status: result.status, body: result.body }
    : denialAnswer(result.reason, result.data);
}

function viewOf(message: StoredMessage): Record<string, unknown> {
  return {
    id: message.id,
    from: message.sender,
    content: message.content,
    metadata: message.metadata,
    created_at: new Date(message.createdAt).toISOString(),
  };
}
