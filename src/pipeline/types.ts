/** Types shared by every pipeline stage (DESIGN.md §2). Plain TypeScript: no framework imports. */
import type { StageOutcome } from '../store/types.js';
import type { DenyReason } from './deny-reasons.js';

export type { DenyReason } from './deny-reasons.js';

/** What a finding asks for, weakest first. */
export type Action = 'ignore' | 'record' | 'flag' | 'quarantine' | 'block';

/** Something a rule or guard noticed in a message. */
export interface Finding {
  /** `rule` or `guard`. */
  readonly source: string;
  /** Rule id or guard name. */
  readonly id: string;
  readonly category?: string;
  readonly severity?: 'critical' | 'high' | 'medium' | 'low';
  readonly action: Action;
  /** RFC 6901 pointer into the message, and UTF-16 offsets into that string of the original text. */
  readonly pointer?: string;
  readonly start?: number;
  readonly end?: number;
  readonly message?: string;
}

/** Facts that stages learn and hand to later stages (e.g. the verified agent). */
export interface Facts {
  readonly agent: string;
  readonly verified: boolean;
  readonly labels: readonly string[];
}

export type Verdict =
  | {
      readonly kind: 'continue';
      readonly facts?: Partial<Facts>;
      readonly findings?: readonly Finding[];
      /** The message's payload as rewritten by this stage (a guard's redactions); later stages and the client see it. */
      readonly payload?: { readonly value: unknown };
    }
  | {
      readonly kind: 'deny';
      readonly reason: DenyReason;
      /** Operator-facing detail, for the audit log only. */
      readonly detail: string;
      readonly findings?: readonly Finding[];
      /** Reason-specific fields the client may see in `error.data` (e.g. `retry_after_ms`). */
      readonly data?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'quarantine'; readonly reason: DenyReason; readonly findings: readonly Finding[] };

/**
 * Which part of the traffic a message is (DESIGN.md §2): `request` = tools/call, resources/read, prompts/get and
 * agent-to-agent messages (`messages/send`: calls that do work); `response` = their results; `tools_list` =
 * tools/list results; `housekeeping` = everything else (including reading one's own inbox, `messages/read`).
 */
export type Phase = 'request' | 'response' | 'tools_list' | 'housekeeping';

/**
 * What a call is aimed at, once the router has resolved the namespaced name, or the recipient of an agent-to-agent
 * message (`kind: 'agent'`, `backend: ''`: a message never reaches a backend; policy decides it by `can_message`).
 */
export interface Target {
  /** The backend id; `''` for an agent. */
  readonly backend: string;
  readonly kind: 'tool' | 'prompt' | 'resource' | 'backend' | 'agent';
  /** Original tool or prompt name, the resource URI, or the recipient agent's name. */
  readonly name: string;
}

/** The parts of the carrying HTTP request a signature covers. */
export interface HttpFacts {
  readonly method: string;
  /** The full request URL as the gateway received it. */
  readonly url: string;
  /** The raw request body. */
  readonly body: string;
}

/** Everything a stage may look at. Stages must treat it as read-only. */
export interface MessageContext {
  readonly phase: Phase;
  readonly sessionId: string | undefined;
  /** The caller's network address (after `server.trusted_proxies`). */
  readonly source: string;
  readonly method: string;
  readonly target: Target | undefined;
  /** `params` of a request, or `result` of a response. */
  readonly payload: unknown;
  /** The HTTP request's headers (lower-case names), for stages that verify the transport (signatures). */
  readonly headers: Readonly<Record<string, string>>;
  /** The HTTP request that carried the message, as received (signature verification covers these bytes). */
  readonly http: HttpFacts | undefined;
  readonly facts: Facts;
}

/** One stage of the pipeline: a name and a check. A check returns a verdict; it never throws to reject. */
export interface Stage {
  readonly name: string;
  check(ctx: MessageContext): Verdict | Promise<Verdict>;
}

/** What the runner hands back: the final verdict, the facts learned, and every stage's outcome. */
export interface PipelineResult {
  /** In `observe` mode a deny/quarantine is recorded here but `forward` stays true. */
  readonly verdict: Verdict;
  readonly forward: boolean;
  readonly facts: Facts;
  readonly findings: readonly Finding[];
  readonly outcomes: readonly StageOutcome[];
  /** The payload after every stage's rewrites, when a stage rewrote it. */
  readonly payload?: { readonly value: unknown };
}
