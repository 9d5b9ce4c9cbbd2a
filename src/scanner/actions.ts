/**
 * From findings to an action (DESIGN.md §4 "Rules"): severity gives the default (critical → block, high →
 * quarantine, medium → flag, low → record); `rules.overrides` replace it per rule id, optionally only for some tools;
 * an agent's `blocked_categories` block; escalation raises flag/quarantine one step for an agent that has had
 * `rules.escalation.after` blocked or quarantined calls within the window. Compiled once per config.
 */
import { compileTargetGlob, findMatch, type PolicyTarget, type TargetGlob } from '../access/target-glob.js';
import type { Config, RuleAction } from '../config/schema.js';
import type { Severity } from './rule-schema.js';
import type { RuleFinding } from './scan.js';

export type Action = RuleAction;

/** Weakest first: the strongest action of a message's findings is what the gateway does. */
export const ACTION_ORDER: readonly Action[] = ['ignore', 'record', 'flag', 'quarantine', 'block'];

export const SEVERITY_ACTIONS: Readonly<Record<Severity, Action>> = {
  critical: 'block',
  high: 'quarantine',
  medium: 'flag',
  low: 'record',
};

/** What `portcullis scan` prints, and what a message's findings add up to. */
export type ScanVerdict = 'clean' | Exclude<Action, 'ignore'>;

export interface ActedFinding extends RuleFinding {
  readonly action: Action;
}

export interface ActionContext {
  readonly agent?: string;
  readonly target?: PolicyTarget;
  /** The agent has reached the escalation threshold. */
  readonly escalated?: boolean;
}

export interface ActionPolicy {
  /** Each finding with its action; `ignore`d findings are dropped. */
  act(findings: readonly RuleFinding[], context: ActionContext): ActedFinding[];
}

interface CompiledOverride {
  readonly id: string;
  readonly action: Action;
  readonly tools: readonly TargetGlob[] | undefined;
}

export type ActionConfig = Pick<Config, 'rules' | 'agents'>;

/** Override tool globs that do not compile, with their config path (for the config loader's file:line report). */
export function findOverrideProblems(rules: Config['rules']): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  rules.overrides.forEach((override, i) =>
    override.tools?.forEach((source, j) => {
      const glob = compileTargetGlob(source, `rules.overrides[${i}].tools[${j}]`);
      if ('error' in glob) problems.push({ path: ['rules', 'overrides', i, 'tools', j], message: glob.error });
    }),
  );
  return problems;
}

export function createActionPolicy(config: ActionConfig): ActionPolicy {
  const overrides = config.rules.overrides.map((override, index): CompiledOverride => ({
    id: override.id,
    action: override.action,
    tools: override.tools?.map((source, j) => {
      const glob = compileTargetGlob(source, `rules.overrides[${index}].tools[${j}]`);
      // The config loader reports bad globs with file:line; one that slipped through must never widen an override.
      if ('error' in glob) throw new Error(`rules.overrides[${index}].tools[${j}]: ${glob.error}`);
      return glob;
    }),
  }));
  const blocked = new Map(Object.entries(config.agents).map(([name, agent]) => [name, new Set(agent.blocked_categories)]));
  return {
    act(findings, context) {
      const out: ActedFinding[] = [];
      for (const finding of findings) {
        const action = actionFor(finding, context, overrides, blocked);
        if (action !== 'ignore') out.push({ ...finding, action });
      }
      return out;
    },
  };
}

function actionFor(
  finding: RuleFinding,
  context: ActionContext,
  overrides: readonly CompiledOverride[],
  blocked: ReadonlyMap<string, ReadonlySet<string>>,
): Action {
  let action = SEVERITY_ACTIONS[finding.severity];
  const override = overrides.find((o) => o.id === finding.rule && (o.tools === undefined || (context.target !== undefined && findMatch(o.tools, context.target, 'restrict') !== undefined)));
  if (override) action = override.action;
  if (action === 'ignore') return action;
  if (context.agent !== undefined && blocked.get(context.agent)?.has(finding.category)) return 'block';
  if (context.escalated && action === 'flag') return 'quarantine';
  if (context.escalated && action === 'quarantine') return 'block';
  return action;
}

/** The strongest action among findings, as a verdict (`clean` when there are none). */
export function verdictOf(findings: readonly { readonly action: Action }[]): ScanVerdict {
  let strongest = 0;
  for (const finding of findings) strongest = Math.max(strongest, ACTION_ORDER.indexOf(finding.action));
  const action = ACTION_ORDER[strongest] as Action;
  return findings.length === 0 || action === 'ignore' ? 'clean' : action;
}
