/**
 * The YAML access policy (DESIGN.md §4 `default_policy`, `agents`, `approval`, `rate_limit`), compiled once per
 * config: every glob is parsed up front, so a broken glob is a config error at load (with its path), and a decision
 * on the hot path is a few regex tests.
 *
 * Decision order for an agent and a target (a tool, prompt or resource, named `<backend>/<original name>`):
 *   1. no entry under `agents` → `default_policy`;
 *   2. a matching `deny` glob → deny (deny wins over allow);
 *   3. a matching `allow` glob → allow;
 *   4. a non-empty `allow` list that did not match → deny: an allow list is the whole list of what the agent may
 *      use, whatever `default_policy` says (otherwise `allow` would mean nothing under `default_policy: allow`);
 *   5. otherwise (no `allow` list) → `default_policy`.
 * `can_message` follows the same rule: non-empty = exactly those agents; empty = `default_policy`.
 * Unknown agents and globs naming backends that are not configured (or not up yet) are fine.
 */
import picomatch from 'picomatch';
import type { PathSegment } from '../config/describe.js';
import { formatPath } from '../config/describe.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { nonCanonicalReason } from './canonical-uri.js';
import type { WindowLimit } from './sliding-window.js';
import {
  type GlobMatch,
  type GlobProblem,
  type PolicyTarget,
  type TargetGlob,
  GLOB_OPTIONS,
  compileTargetGlob,
  compileTargetGlobs,
  findMatch,
} from './target-glob.js';

export type Decision = 'allow' | 'deny';

/** A decision and the rule that made it (config path), for the audit log; never shown to the client. */
export interface Explanation {
  readonly decision: Decision;
  readonly rule: string;
}

/** A per-tool rate limit that applies to a target, and the rule that sets it. */
export interface TargetLimit {
  /** Config path of the entry (`rate_limit.tools["files/write_*"]`): stable, so usable in a limiter key. */
  readonly rule: string;
  readonly limit: WindowLimit;
}

/** The compiled policy. Pure and immutable: a config reload compiles a new one. */
export interface Policy {
  /** Whether `agent` may use `target`. */
  decide(agent: string, target: PolicyTarget): Decision;
  /** `decide`, with the rule that decided (e.g. `agents.bob.deny[0]`, `default_policy`). */
  explain(agent: string, target: PolicyTarget): Explanation;
  /** The items of a list result that `agent` may use; items whose target is unknown (`undefined`) are dropped. */
  filterList<T>(agent: string, items: readonly T[], targetOf: (item: T) => PolicyTarget | undefined): T[];
  /** `agents.<agent>.suspended` (operator suspensions are live state, kept elsewhere). */
  isSuspended(agent: string): boolean;
  /** Whether `from` may send an agent-to-agent message to `to`. */
  canMessage(from: string, to: string): boolean;
  /** Rule categories always blocked for `agent`. */
  blockedCategories(agent: string): ReadonlySet<string>;
  /** The rule that makes a call wait for a person (`approval.require[i]` or `agents.<a>.approval[i]`), if any. */
  approvalRule(agent: string, target: PolicyTarget): string | undefined;
  /** The agent's own `rate_limit`, else the global one. */
  agentLimit(agent: string): WindowLimit;
  /** Every `rate_limit.tools` entry that applies to `target`. */
  targetLimits(target: PolicyTarget): readonly TargetLimit[];
}

/** A policy problem at a config path (for `portcullis verify`, which adds file and line). */
export interface PolicyProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** The parts of the config the policy reads. */
export type PolicyConfig = Pick<Config, 'default_policy' | 'agents' | 'approval' | 'rate_limit'>;

interface CompiledAgent {
  readonly name: string;
  readonly allow: readonly TargetGlob[];
  readonly deny: readonly TargetGlob[];
  readonly approval: readonly TargetGlob[];
  readonly canMessage: readonly ((agent: string) => boolean)[];
  readonly blockedCategories: ReadonlySet<string>;
  readonly limit: WindowLimit | undefined;
  readonly suspended: boolean;
}

interface CompiledLimit {
  readonly glob: TargetGlob;
  readonly limit: WindowLimit;
}

const NO_CATEGORIES: ReadonlySet<string> = new Set();

/** Compiles the policy; throws a `config_invalid` GatewayError listing every bad glob with its path. */
export function compilePolicy(config: PolicyConfig): Policy {
  const problems: GlobProblem[] = [];
  const policy = buildPolicy(config, problems);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
    throw new GatewayError('config_invalid', lines.join('; '), lines);
  }
  return policy;
}

/** Every problem `compilePolicy` would throw for, without throwing (for `verify` and live reload). */
export function findPolicyProblems(config: PolicyConfig): PolicyProblem[] {
  const problems: GlobProblem[] = [];
  buildPolicy(config, problems);
  return problems;
}

function buildPolicy(config: PolicyConfig, problems: GlobProblem[]): Policy {
  // A Map of own entries: an agent may be called "constructor" or "toString", which a plain object lookup would
  // resolve to Object.prototype members.
  const agents = new Map<string, CompiledAgent>();
  for (const [name, entry] of Object.entries(config.agents)) agents.set(name, compileAgent(name, entry, problems));
  const required = compileTargetGlobs(config.approval.require, ['approval', 'require'], problems);
  const globalLimit = windowLimit(config.rate_limit);
  const toolLimits = Object.entries(config.rate_limit.tools).flatMap(([source, limit]) =>
    compileLimit(['rate_limit', 'tools', source], source, windowLimit(limit), problems),
  );
  const byDefault: Explanation = { decision: config.default_policy, rule: 'default_policy' };

  const explain = (agent: string, target: PolicyTarget): Explanation => {
    const entry = agents.get(agent);
    if (!entry) return byDefault;
    const denied = findMatch(entry.deny, target, 'restrict');
    if (denied) return { decision: 'deny', rule: describeMatch(denied) };
    const allowed = findMatch(entry.allow, target, 'permit');
    if (allowed) return { decision: 'allow', rule: describeMatch(allowed) };
    if (entry.allow.length > 0) {
      return { decision: 'deny', rule: `${formatPath(['agents', entry.name, 'allow'])} (${notListed(target)})` };
    }
    return byDefault;
  };

  return {
    explain,
    decide: (agent, target) => explain(agent, target).decision,
    filterList: (agent, items, targetOf) =>
      items.filter((item) => {
        const target = targetOf(item);
        return target !== undefined && explain(agent, target).decision === 'allow';
      }),
    isSuspended: (agent) => agents.get(agent)?.suspended ?? false,
    canMessage: (from, to) => {
      const entry = agents.get(from);
      if (!entry || entry.canMessage.length === 0) return config.default_policy === 'allow';
      return entry.canMessage.some((matches) => matches(to));
    },
    blockedCategories: (agent) => agents.get(agent)?.blockedCategories ?? NO_CATEGORIES,
    approvalRule: (agent, target) => {
      const match =
        findMatch(required, target, 'restrict') ?? findMatch(agents.get(agent)?.approval ?? [], target, 'restrict');
      return match && describeMatch(match);
    },
    agentLimit: (agent) => agents.get(agent)?.limit ?? globalLimit,
    targetLimits: (target) =>
      toolLimits.flatMap(({ glob, limit }) => {
        const match = findMatch([glob], target, 'restrict');
        return match ? [{ rule: match.glob.rule, limit }] : [];
      }),
  };
}

function compileAgent(name: string, entry: Config['agents'][string], problems: GlobProblem[]): CompiledAgent {
  const at = (key: string): PathSegment[] => ['agents', name, key];
  return {
    name,
    allow: compileTargetGlobs(entry.allow, at('allow'), problems),
    deny: compileTargetGlobs(entry.deny, at('deny'), problems),
    approval: compileTargetGlobs(entry.approval, at('approval'), problems),
    canMessage: compileAgentGlobs(entry.can_message, at('can_message'), problems),
    blockedCategories: new Set(entry.blocked_categories),
    limit: entry.rate_limit && windowLimit(entry.rate_limit),
    suspended: entry.suspended,
  };
}

/** `can_message` names agents; globs allowed (`analysis-*`). Agent names have no "/", so `*` is all it takes. */
function compileAgentGlobs(
  list: readonly string[],
  path: PathSegment[],
  problems: GlobProblem[],
): ((agent: string) => boolean)[] {
  const matchers: ((agent: string) => boolean)[] = [];
  list.forEach((source, index) => {
    if (source.startsWith('!')) {
      problems.push({ path: [...path, index], message: 'a leading "!" is not supported: list the agents allowed' });
      return;
    }
    try {
      matchers.push(picomatch(source, GLOB_OPTIONS));
    } catch (cause) {
      problems.push({
        path: [...path, index],
        message: `not a valid glob: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  });
  return matchers;
}

function windowLimit(limit: { readonly requests: number; readonly window_s: number }): WindowLimit {
  return { requests: limit.requests, windowMs: limit.window_s * 1000 };
}

/** One `rate_limit.tools` entry: the glob is the map key, so the problem path ends with it. */
function compileLimit(
  path: PathSegment[],
  source: string,
  limit: WindowLimit,
  problems: GlobProblem[],
): CompiledLimit[] {
  const glob = compileTargetGlob(source, formatPath(path));
  if (!('error' in glob)) return [{ glob, limit }];
  problems.push({ path, message: glob.error });
  return [];
}

/** Why no allow glob matched: usually just that; for a non-canonical URI, also that it could not match any. */
function notListed(target: PolicyTarget): string {
  const why = target.kind === 'resource' ? nonCanonicalReason(target.name) : undefined;
  return why ? `not listed; non-canonical URI: ${why}` : 'not listed';
}

function describeMatch(match: GlobMatch): string {
  return match.nonCanonical ? `${match.glob.rule} (non-canonical URI: ${match.nonCanonical})` : match.glob.rule;
}
