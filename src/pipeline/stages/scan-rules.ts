// Threat: content that attacks the agent or leaks through it — prompt injection, secrets, PII, dangerous commands,
// SSRF, path traversal, unicode tricks — in a call's arguments or in what comes back. Fails closed: anything not
// scanned for size is judged by `rules.oversize_action` (block by default); a throw becomes internal_error.
import { policyTargetOf } from '../../access/target-glob.js';
import type { Config } from '../../config/schema.js';
import type { ActedFinding, ActionPolicy } from '../../scanner/actions.js';
import type { EscalationTracker } from '../../scanner/escalation.js';
import { judge } from '../../scanner/judge.js';
import type { Surface } from '../../scanner/rule-schema.js';
import type { RuleSet } from '../../scanner/rule-set.js';
import type { Finding, MessageContext, Stage, Verdict } from '../types.js';

export interface ScanOptions {
  /** Which half of a call this stage reads. */
  readonly half: 'request' | 'response';
  readonly rules: Config['rules'];
  readonly actions: ActionPolicy;
}

export interface ScanDeps {
  /** The running rule set (swapped whole by a rules reload). */
  readonly ruleSet: () => RuleSet;
  readonly escalation: EscalationTracker;
}

/** What part of a message is scanned, as which surface, at which JSON pointer of the message. */
interface Part {
  readonly surface: Surface;
  readonly value: unknown;
  readonly pointer: string;
}

const CONTINUE: Verdict = { kind: 'continue' };

/** `scan-rules`: the loaded rules over the arguments (request half) or the result (response half) of a call. */
export function createScanStage(options: ScanOptions, deps: ScanDeps): Stage {
  const limits = { after: options.rules.escalation.after, windowS: options.rules.escalation.window_s };
  return {
    name: 'scan-rules',
    check(ctx) {
      const part = options.half === 'request' ? requestPart(ctx) : responsePart(ctx);
      if (!part) return CONTINUE;
      const { agent } = ctx.facts;
      const judged = judge(
        { rules: deps.ruleSet(), actions: options.actions, maxScanBytes: options.rules.max_scan_bytes, oversizeAction: options.rules.oversize_action },
        part.value,
        part.surface,
        { agent, target: policyTargetOf(ctx.target), escalated: deps.escalation.isEscalated(agent, limits) },
        part.pointer,
      );
      const findings = judged.findings.map(toFinding);
      switch (judged.verdict) {
        case 'clean':
          return CONTINUE;
        case 'record':
        case 'flag':
          return { kind: 'continue', findings };
        case 'quarantine':
          deps.escalation.note(agent);
          return { kind: 'quarantine', reason: 'quarantined', findings };
        case 'block': {
          deps.escalation.note(agent);
          const rules = [...new Set(findings.filter((f) => f.action === 'block').map((f) => f.id))];
          return { kind: 'deny', reason: 'rule_blocked', detail: `blocked by ${rules.join(', ')} (${part.surface})`, findings, data: { rules } };
        }
      }
    },
  };
}

function requestPart(ctx: MessageContext): Part | undefined {
  if (ctx.phase !== 'request') return undefined;
  const params = (ctx.payload ?? {}) as Record<string, unknown>;
  switch (ctx.method) {
    case 'tools/call':
    case 'prompts/get':
      return { surface: 'tool_args', value: params.arguments ?? {}, pointer: '/params/arguments' };
    case 'resources/read':
      return { surface: 'tool_args', value: params.uri ?? '', pointer: '/params/uri' };
    case 'messages/send':
      return { surface: 'message', value: { content: params.content, metadata: params.metadata }, pointer: '/params' };
    default:
      return undefined;
  }
}

function responsePart(ctx: MessageContext): Part | undefined {
  if (ctx.phase !== 'response') return undefined;
  const surface: Surface | undefined =
    ctx.method === 'tools/call' ? 'tool_result' : ctx.method === 'prompts/get' ? 'prompt' : ctx.method === 'resources/read' ? 'resource' : undefined;
  return surface ? { surface, value: ctx.payload, pointer: '/result' } : undefined;
}

/** A scanner finding as the pipeline and the audit log carry it. */
export function toFinding(finding: ActedFinding): Finding {
  return {
    source: 'rule',
    id: finding.rule,
    category: finding.category,
    severity: finding.severity,
    action: finding.action,
    pointer: finding.pointer,
    start: finding.start,
    end: finding.end,
    message: finding.encoding ? `${finding.name} (in ${finding.encoding}-encoded text)` : finding.name,
  };
}
