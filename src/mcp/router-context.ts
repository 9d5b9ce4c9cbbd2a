/** The state and dependencies the router's parts share. Built once by `createRouter`. */
import type { Policy } from '../access/policy.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Stage } from '../pipeline/types.js';
import type { ActionPolicy } from '../scanner/actions.js';
import type { ContentScreen } from '../scanner/content-screen.js';
import type { ToolGate } from '../scanner/tool-gate.js';
import type { AuditLog } from '../store/types.js';
import type { Backend, SessionLink } from '../upstream/backend.js';
import type { ClientSession } from './client-session.js';
import type { JSONRPCMessage, RequestId } from './jsonrpc.js';
import type { Namer } from './namespacing.js';
import type { ResourceRoutes } from './resource-routes.js';
import type { SessionRegistry } from './session-registry.js';

/**
 * What a live config reload swaps as one value. A request takes one snapshot when it starts and finishes under it,
 * so an edit never applies half-way through a call.
 */
export interface LiveState {
  readonly config: Config;
  /** The compiled policy of `config` (list filtering reads it; the stages have their own reference). */
  readonly policy: Policy;
  /** What rule findings do under `config` (overrides, blocked_categories). */
  readonly actions: ActionPolicy;
  readonly stages: { readonly request: readonly Stage[]; readonly response: readonly Stage[] };
}

export interface RouterDeps {
  /** The running config and stages; the settings that need a restart (backends, tool_names) never change here. */
  readonly live: () => LiveState;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly sessions: SessionRegistry;
  readonly prefixMode: Config['tool_names']['prefix'];
  readonly audit: AuditLog;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly gatewayInfo: { name: string; version: string };
  /** Pinned and scanned tool definitions: what a client may see and call. */
  readonly toolGate: ToolGate;
  /** Rules over server instructions and sampling requests. */
  readonly screen: ContentScreen;
  /** Where quarantine verdicts put the call they hold, and where held calls wait for a person. */
  readonly quarantine: HeldCalls;
  /** Told when a client session closes (per-session state elsewhere, e.g. guard labels, is dropped). */
  readonly onSessionClosed?: (sessionId: string) => void;
}

/** A call a stage asked to hold: the request (not run) or the response (run; its result kept). */
export interface HoldRequest {
  readonly held: 'request' | 'response';
  readonly agent: string;
  readonly sessionId: string;
  readonly backend: string | null;
  readonly method: string;
  readonly tool: string | null;
  readonly params: Record<string, unknown>;
  readonly result?: unknown;
}

/** A decided (or still undecided) held call, as the router needs it. */
export interface HeldItem {
  readonly id: string;
  readonly held: 'request' | 'response';
  readonly heldStage: string;
  /** The stored call: `{params, result?}` JSON (credentials masked). */
  readonly payload: string | null;
  readonly decisionReason: string | null;
  readonly decidedBy: string | null;
}

export type HeldWait =
  | { readonly kind: 'approved' | 'rejected'; readonly item: HeldItem }
  | { readonly kind: 'pending' | 'gone' };

export interface HeldCalls {
  /** Records a held call; refused when the agent already has `quarantine.max_pending_per_agent` pending. */
  hold(
    request: HoldRequest & { readonly reason: string; readonly findings: readonly unknown[]; readonly heldStage: string },
  ): { readonly ok: true; readonly id: string } | { readonly ok: false; readonly retryAfterMs: number };
  /** Waits up to `quarantine.hold_s` for a decision on `id`; `onTick` runs about every second meanwhile. */
  waitForDecision(id: string, signal: AbortSignal, onTick?: (elapsedMs: number, totalMs: number) => void): Promise<HeldWait>;
  /** An approval of exactly this call (agent, backend, tool, canonical arguments), unused and recent enough. */
  approvalFor(request: HoldRequest): HeldItem | undefined;
  /** Uses an approval; false when it was used already. */
  claim(id: string): boolean;
  /** Records the client's user's answer to an in-band confirmation (`quarantine.elicitation`) as a decision. */
  decideByUser(id: string, agent: string, approved: boolean): void;
}

/** A client request in flight on a shared backend channel, for routing that backend's requests to a client. */
export interface SharedCall {
  readonly session: ClientSession;
  readonly requestId: RequestId;
}

export interface RouterContext extends RouterDeps {
  namers: { tools: Namer; prompts: Namer };
  readonly routes: ResourceRoutes;
  /** Per backend: the client requests in flight on its shared channel, keyed by session id + request id. */
  readonly sharedCalls: Map<string, Map<string, SharedCall>>;
  /** Ids for backend requests forwarded to clients (unique per gateway, so a client cannot confuse two). */
  nextForwardedId: number;
}

/** What a backend needs to know about a client session to open a session for it. */
export function linkOf(session: ClientSession): SessionLink {
  return {
    sessionId: session.id,
    clientInfo: session.clientInfo,
    clientCapabilities: session.clientCapabilities,
    protocolVersion: session.protocolVersion,
  };
}

/** Sends to a client, swallowing the error of a client that went away (nothing is waiting for it any more). */
export async function sendToClient(
  ctx: RouterContext,
  session: ClientSession,
  message: JSONRPCMessage,
  relatedRequestId?: RequestId,
): Promise<boolean> {
  if (session.closed) return false;
  try {
    await session.port.send(message, relatedRequestId);
    return true;
  } catch (error) {
    ctx.logger.debug('client stream gone', { session: session.id, error });
    return false;
  }
}
