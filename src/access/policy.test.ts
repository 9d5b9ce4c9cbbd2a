import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { compilePolicy, findPolicyProblems } from './policy.js';
import type { PolicyTarget } from './target-glob.js';

function policyOf(raw: Record<string, unknown>) {
  return compilePolicy(configSchema.parse(raw));
}

const tool = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'tool', name });
const prompt = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'prompt', name });
const resource = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'resource', name });

// The agent from DESIGN.md §4, plus agents that show the fallbacks.
const demo = {
  default_policy: 'deny',
  agents: {
    'research-bot': {
      allow: [
        'everything/*',
        'files/read_*',
        'files/*_file',
        'prompt:everything/*',
        'resource:files/file:///srv/shared/**',
      ],
      deny: ['files/delete_*', 'resource:files/file:///srv/shared/private/**'],
    },
    'deny-only': { deny: ['files/delete_*'] },
    'rate-only': { rate_limit: { requests: 5, window_s: 10 } },
  },
};

describe('policy.decide', () => {
  it.each([
    // allow lists
    ['research-bot', tool('everything', 'echo'), 'allow', 'agents.research-bot.allow[0]'],
    ['research-bot', tool('files', 'read_text_file'), 'allow', 'agents.research-bot.allow[1]'],
    ['research-bot', prompt('everything', 'simple_prompt'), 'allow', 'agents.research-bot.allow[3]'],
    ['research-bot', resource('files', 'file:///srv/shared/notes/a.md'), 'allow', 'agents.research-bot.allow[4]'],
    // deny wins over allow (delete_file matches allow[2] `files/*_file` too)
    ['research-bot', tool('files', 'delete_file'), 'deny', 'agents.research-bot.deny[0]'],
    ['research-bot', resource('files', 'file:///srv/shared/private/key'), 'deny', 'agents.research-bot.deny[1]'],
    // a non-empty allow list is exhaustive, across kinds
    ['research-bot', tool('files', 'write_text'), 'deny', 'agents.research-bot.allow (not listed)'],
    ['research-bot', prompt('files', 'p'), 'deny', 'agents.research-bot.allow (not listed)'],
    [
      'research-bot',
      resource('everything', 'test://static/resource/1'),
      'deny',
      'agents.research-bot.allow (not listed)',
    ],
    // `*` does not cross "/" in a URI
    ['research-bot', tool('everything', 'a/b'), 'deny', 'agents.research-bot.allow (not listed)'],
    // non-canonical URIs cannot slip past a deny nor into an allow
    [
      'research-bot',
      resource('files', 'file:///srv/shared/x/../private/key'),
      'deny',
      'agents.research-bot.deny[1] (non-canonical URI: dot segment)',
    ],
    [
      'research-bot',
      resource('files', 'file:///srv/shared//private/key'),
      'deny',
      'agents.research-bot.deny[1] (non-canonical URI: empty path segment)',
    ],
    // globs may name backends that do not exist
    ['research-bot', tool('no-such-backend', 'x'), 'deny', 'agents.research-bot.allow (not listed)'],
    // an entry without allow falls back to default_policy
    ['deny-only', tool('files', 'delete_file'), 'deny', 'agents.deny-only.deny[0]'],
    ['deny-only', tool('files', 'read_file'), 'deny', 'default_policy'],
    ['rate-only', tool('files', 'read_file'), 'deny', 'default_policy'],
    // unknown agents, including names that are Object.prototype members
    ['stranger', tool('everything', 'echo'), 'deny', 'default_policy'],
    ['constructor', tool('everything', 'echo'), 'deny', 'default_policy'],
    ['toString', tool('everything', 'echo'), 'deny', 'default_policy'],
  ] as const)('%s → %j: %s by %s', (agent, target, decision, rule) => {
    const policy = policyOf(demo);
    expect(policy.explain(agent, target)).toEqual({ decision, rule });
    expect(policy.decide(agent, target)).toBe(decision);
  });

  it.each([
    ['research-bot', tool('files', 'write_text'), 'deny'],
    ['research-bot', tool('files', 'delete_file'), 'deny'],
    ['deny-only', tool('files', 'delete_file'), 'deny'],
    ['deny-only', tool('files', 'read_file'), 'allow'],
    ['rate-only', tool('files', 'read_file'), 'allow'],
    ['stranger', tool('everything', 'echo'), 'allow'],
    ['stranger', resource('files', 'file:///srv/../etc/passwd'), 'allow'],
    ['deny-only', resource('files', 'file:///srv/../etc/passwd'), 'allow'],
  ] as const)('with default_policy: allow, %s → %j: %s', (agent, target, decision) => {
    expect(policyOf({ ...demo, default_policy: 'allow' }).decide(agent, target)).toBe(decision);
  });

  it('filterList keeps what the agent may use and drops items without a target', () => {
    const policy = policyOf(demo);
    const items = [{ name: 'echo' }, { name: 'delete_file' }, { name: 'read_file' }, { name: '???' }];
    const kept = policy.filterList('research-bot', items, (item) =>
      item.name === '???' ? undefined : tool(item.name === 'echo' ? 'everything' : 'files', item.name),
    );
    expect(kept.map((i) => i.name)).toEqual(['echo', 'read_file']);
  });
});

describe('the other per-agent settings', () => {
  const policy = policyOf({
    default_policy: 'deny',
    agents: {
      a: {
        can_message: ['analysis-*', 'b'],
        blocked_categories: ['credential-leak'],
        approval: ['files/write_*'],
        rate_limit: { requests: 5, window_s: 10 },
        suspended: true,
      },
      b: {},
    },
    approval: { require: ['resource:files/**'] },
    rate_limit: {
      requests: 100,
      window_s: 60,
      tools: { 'files/write_*': { requests: 2, window_s: 1 }, 'files/*': { requests: 9, window_s: 9 } },
    },
  });

  it.each([
    ['a', 'analysis-bot', true],
    ['a', 'b', true],
    ['a', 'c', false],
    ['b', 'a', false], // empty can_message → default_policy (deny)
    ['nobody', 'a', false],
  ])('canMessage(%s, %s) = %s', (from, to, expected) => {
    expect(policy.canMessage(from, to)).toBe(expected);
  });

  it('suspension, categories and the agent limit come from the entry, else the defaults', () => {
    expect([policy.isSuspended('a'), policy.isSuspended('b'), policy.isSuspended('constructor')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([...policy.blockedCategories('a')]).toEqual(['credential-leak']);
    expect(policy.blockedCategories('b').size).toBe(0);
    expect(policy.agentLimit('a')).toEqual({ requests: 5, windowMs: 10_000 });
    expect(policy.agentLimit('b')).toEqual({ requests: 100, windowMs: 60_000 });
  });

  it.each([
    ['a', tool('files', 'write_file'), 'agents.a.approval[0]'],
    ['b', tool('files', 'write_file'), undefined],
    ['b', resource('files', 'file:///srv/x'), 'approval.require[0]'],
    ['b', tool('everything', 'echo'), undefined],
  ])('approvalRule(%s, %j) = %s', (agent, target, rule) => {
    expect(policy.approvalRule(agent, target)).toBe(rule);
  });

  it('targetLimits lists every rate_limit.tools entry that matches', () => {
    expect(policy.targetLimits(tool('files', 'write_file'))).toEqual([
      { rule: 'rate_limit.tools["files/write_*"]', limit: { requests: 2, windowMs: 1000 } },
      { rule: 'rate_limit.tools["files/*"]', limit: { requests: 9, windowMs: 9000 } },
    ]);
    expect(policy.targetLimits(tool('everything', 'echo'))).toEqual([]);
  });
});

describe('compile errors', () => {
  const broken = {
    agents: {
      bob: { allow: ['files/ok', 'files/also_ok', 'files/[oops'], can_message: ['!carol'] },
      'bot.v2': { deny: ['read_file'] },
    },
    approval: { require: ['tools:files/x'] },
    rate_limit: { tools: { 'files/(x': { requests: 1, window_s: 1 } } },
  };

  it('are reported all at once, each with its config path', () => {
    const problems = findPolicyProblems(configSchema.parse(broken));
    expect(problems.map((p) => p.path)).toEqual([
      ['agents', 'bob', 'allow', 2],
      ['agents', 'bob', 'can_message', 0],
      ['agents', 'bot.v2', 'deny', 0],
      ['approval', 'require', 0],
      ['rate_limit', 'tools', 'files/(x'],
    ]);
  });

  it('make compilePolicy throw a config_invalid GatewayError with one line per problem', () => {
    const error = (() => {
      try {
        policyOf(broken);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'config_invalid' });
    const lines = (error as GatewayError).problems;
    expect(lines[0]).toMatch(/^agents\.bob\.allow\[2\]: not a valid glob/);
    expect(lines[2]).toMatch(/^agents\["bot\.v2"\]\.deny\[0\]: a glob names <backend>\/<name>/);
    expect(lines[4]).toMatch(/^rate_limit\.tools\["files\/\(x"\]: not a valid glob/);
  });

  it('accept a clean config', () => {
    expect(findPolicyProblems(configSchema.parse(demo))).toEqual([]);
  });
});
