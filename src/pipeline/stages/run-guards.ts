// Threat: whatever the operator's own guards are written to catch (DESIGN.md §4). The guards themselves are hostile
// input too: the runtime contains them, and a failing guard is answered by its failure_mode (fail_closed by default).
// This stage only maps a message to the guard envelope and the chain's verdict back; it never sees Extism.
import { randomUUID } from 'node:crypto';
import type { Finding, MessageContext, Stage, Verdict } from '../types.js';

export type GuardPhase = 'request' | 'response' | 'tools_list';

/** What the stage needs from the guard runtime (implemented by guard-runtime/guard-host.ts). */
export interface GuardRunner {
  covers(phase: GuardPhase): boolean;
  run(
    phase: GuardPhase,
    envelope: {
      readonly call_id: string;
      readonly agent: string;
      readonly backend: string | null;
      readonly tool: string | null;
      readonly arguments: unknown;
      readonly result: unknown;
      readonly tools: unknown;
    },
    session: string | undefined,
  ): Promise<{
    readonly decision: 'allow' | 'deny' | 'quarantine';
    readonly guard?: string;
    readonly code?: string;
    readonly reason?: string;
    readonly labels: readonly string[];
    readonly redacted?: { readonly value: unknown };
    readonly redactions: readonly { readonly guard: string; readonly path: string; readonly start: number; readonly end: number }[];
    readonly failures: readonly { readonly guard: string; readonly kind: string; readonly message: string }[];
  }>;
  sessionLabels(session: string): readonly string[];
}

const CONTINUE: Verdict = { kind: 'continue' };
const GUARDED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** `run-guards`: the loaded guard chain over a call (request), its result (response) or a tools/list result. */
export function createGuardStage(deps: { readonly guards: GuardRunner }): Stage {
  return {
    name: 'run-guards',
    async check(ctx) {
      const phase = guardPhaseOf(ctx);
      if (!phase || !deps.guards.covers(phase)) return CONTINUE;
      const payload = (ctx.payload ?? {}) as Record<string, unknown>;
      const verdict = await deps.guards.run(
        phase,
        {
          call_id: randomUUID(),
          agent: ctx.facts.agent,
          backend: ctx.target?.backend || null,
          tool: ctx.target?.name ?? null,
          arguments: phase === 'request' ? requestArguments(ctx.method, payload) : null,
          result: phase === 'response' ? (ctx.payload ?? null) : null,
          tools: phase === 'tools_list' ? (payload.tools ?? []) : null,
        },
        ctx.sessionId,
      );
      const findings: Finding[] = [
        ...verdict.failures.map((f): Finding => ({ source: 'guard', id: f.guard, action: 'record', message: `guard_error:${f.kind}: ${f.message}` })),
        ...verdict.redactions.map((r): Finding => ({
          source: 'guard', id: r.guard, action: 'record', pointer: messagePointer(ctx.method, phase, r.path), start: r.start, end: r.end, message: 'redacted',
        })),
      ];
      const labels = ctx.sessionId ? deps.guards.sessionLabels(ctx.sessionId) : verdict.labels;
      switch (verdict.decision) {
        case 'deny': {
          const code = verdict.code ?? 'denied';
          findings.push({ source: 'guard', id: verdict.guard ?? 'guard', action: 'block', message: [code, verdict.reason].filter(Boolean).join(': ') });
          return {
            kind: 'deny', reason: 'guard_blocked', detail: `${verdict.guard}: ${code}${verdict.reason ? ` (${verdict.reason})` : ''}`, findings,
            data: { guard: verdict.guard, code },
          };
        }
        case 'quarantine':
          findings.push({ source: 'guard', id: verdict.guard ?? 'guard', action: 'quarantine', message: [verdict.code, verdict.reason].filter(Boolean).join(': ') });
          return { kind: 'quarantine', reason: 'quarantined', findings };
        case 'allow':
          return {
            kind: 'continue',
            facts: { labels },
            ...(findings.length > 0 ? { findings } : {}),
            ...(verdict.redacted ? { payload: { value: rewritePayload(ctx.method, phase, payload, verdict.redacted.value) } } : {}),
          };
      }
    },
  };
}

function guardPhaseOf(ctx: MessageContext): GuardPhase | undefined {
  if (ctx.phase === 'tools_list') return 'tools_list';
  if ((ctx.phase === 'request' || ctx.phase === 'response') && GUARDED_METHODS.has(ctx.method)) return ctx.phase;
  return undefined;
}

/** A resources/read has no arguments; its URI is what a guard judges (and may redact). */
function requestArguments(method: string, params: Record<string, unknown>): unknown {
  return method === 'resources/read' ? { uri: params.uri ?? null } : (params.arguments ?? {});
}

/** Puts the redacted envelope field back where it came from in the message. */
function rewritePayload(method: string, phase: GuardPhase, payload: Record<string, unknown>, redacted: unknown): unknown {
  switch (phase) {
    case 'request':
      return method === 'resources/read' ? { ...payload, uri: (redacted as { uri?: unknown }).uri } : { ...payload, arguments: redacted };
    case 'response':
      return redacted;
    case 'tools_list':
      return { ...payload, tools: redacted };
  }
}

/** An envelope pointer (`/arguments/q`) as a pointer into the message (`/params/arguments/q`), like rule findings. */
function messagePointer(method: string, phase: GuardPhase, path: string): string {
  if (phase === 'request') return method === 'resources/read' ? path.replace(/^\/arguments\/uri/, '/params/uri') : `/params${path}`;
  if (phase === 'tools_list') return `/result${path}`;
  return path;
}
