import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../access/policy.js';
import { configSchema } from '../../config/schema.js';
import type { MessageContext, Phase, Target } from '../types.js';
import { createApprovalStage } from './check-approval.js';

const policy = compilePolicy(
  configSchema.parse({
    default_policy: 'allow',
    approval: {
      require: ['files/delete_*', 'prompt:everything/secret_*', 'resource:files/file:///srv/secret/**'],
    },
    agents: {
      'research-bot': { approval: ['everything/echo', 'files/delete_all'] },
      'bot.v2': { approval: ['files/write_*'] },
      quiet: {},
    },
  }),
);

function contextOf(agent: string, target: Target | undefined, phase: Phase = 'request', method = 'tools/call'): MessageContext {
  return {
    phase,
    sessionId: 's1',
    source: '127.0.0.1',
    method,
    target,
    payload: {},
    headers: {},
    http: undefined,
    facts: { agent, verified: true, labels: [] },
  };
}

const tool = (backend: string, name: string): Target => ({ backend, kind: 'tool', name });
const prompt = (backend: string, name: string): Target => ({ backend, kind: 'prompt', name });
const resource = (backend: string, name: string): Target => ({ backend, kind: 'resource', name });

const held = (rule: string, subject: string) => ({
  kind: 'quarantine',
  reason: 'quarantined',
  findings: [{ source: 'approval', id: rule, action: 'quarantine', message: `${subject} needs a person's approval (${rule})` }],
});

describe('check-approval', () => {
  const stage = createApprovalStage({ policy });

  it('is named check-approval', () => {
    expect(stage.name).toBe('check-approval');
  });

  it.each([
    // approval.require applies to every agent.
    ['research-bot', tool('files', 'delete_file'), 'approval.require[0]'],
    ['stranger', tool('files', 'delete_file'), 'approval.require[0]'],
    ['quiet', tool('files', 'delete_'), 'approval.require[0]'],
    // approval.require is looked at before the agent's own list.
    ['research-bot', tool('files', 'delete_all'), 'approval.require[0]'],
    // agents.<name>.approval applies to that agent only.
    ['research-bot', tool('everything', 'echo'), 'agents.research-bot.approval[0]'],
    ['bot.v2', tool('files', 'write_file'), 'agents["bot.v2"].approval[0]'],
    // prompt: and resource: globs select prompts and resources.
    ['stranger', prompt('everything', 'secret_plan'), 'approval.require[1]'],
    ['stranger', resource('files', 'file:///srv/secret/key.pem'), 'approval.require[2]'],
    ['stranger', resource('files', 'file:///srv/secret'), 'approval.require[2]'],
  ] as const)('%s %j → held by %s', async (agent, target, rule) => {
    expect(await stage.check(contextOf(agent, target))).toEqual(held(rule, `${target.backend}/${target.name}`));
  });

  it.each([
    ['research-bot', tool('files', 'read_file')],
    ['research-bot', tool('files', 'undelete_file')],
    // An agent-specific rule does not touch other agents.
    ['stranger', tool('everything', 'echo')],
    ['quiet', tool('everything', 'echo')],
    ['research-bot', tool('files', 'write_file')],
    // A bare glob names tools only; prefixed globs name only their kind.
    ['stranger', prompt('files', 'delete_file')],
    ['stranger', tool('everything', 'secret_plan')],
    ['stranger', resource('everything', 'test://secret_plan')],
    ['stranger', tool('files', 'file:///srv/secret/key.pem')],
    ['stranger', resource('files', 'file:///srv/public/a.txt')],
    // `*` does not cross "/".
    ['stranger', tool('files', 'delete_x/y')],
    // Another backend of a similar name.
    ['stranger', tool('files2', 'delete_file')],
  ] as const)('%s %j → continue', async (agent, target) => {
    expect(await stage.check(contextOf(agent, target))).toEqual({ kind: 'continue' });
  });

  it.each([
    ['file:///srv/public/../secret/key.pem', 'dot segment'],
    ['delete_file', 'no scheme'],
  ])('holds the non-canonical resource URI %s by the first resource glob (fail closed)', async (uri, why) => {
    expect(await stage.check(contextOf('stranger', resource('files', uri)))).toEqual(
      held(`approval.require[2] (non-canonical URI: ${why})`, `files/${uri}`),
    );
  });

  it.each(['response', 'tools_list', 'housekeeping'] as const)('continues in the %s phase', async (phase) => {
    expect(await stage.check(contextOf('research-bot', tool('files', 'delete_file'), phase))).toEqual({ kind: 'continue' });
  });

  it('continues for an agent-to-agent message, whatever the recipient is called', async () => {
    const permissive = compilePolicy(configSchema.parse({ approval: { require: ['**'] }, agents: { a: { approval: ['**'] } } }));
    const all = createApprovalStage({ policy: permissive });
    const agent: Target = { backend: '', kind: 'agent', name: 'delete_file' };
    expect(await all.check(contextOf('a', agent, 'request', 'messages/send'))).toEqual({ kind: 'continue' });
    // The same policy does hold a tool call.
    expect(await all.check(contextOf('a', tool('files', 'read_file')))).toMatchObject({ kind: 'quarantine', findings: [{ id: 'approval.require[0]' }] });
  });

  it('continues without a target or with a whole-backend target', async () => {
    const all = createApprovalStage({ policy: compilePolicy(configSchema.parse({ approval: { require: ['**'] } })) });
    expect(await all.check(contextOf('a', undefined))).toEqual({ kind: 'continue' });
    expect(await all.check(contextOf('a', { backend: 'files', kind: 'backend', name: '' }))).toEqual({ kind: 'continue' });
  });

  it('holds nothing under a policy without approval rules', async () => {
    const none = createApprovalStage({ policy: compilePolicy(configSchema.parse({})) });
    expect(await none.check(contextOf('research-bot', tool('files', 'delete_file')))).toEqual({ kind: 'continue' });
  });
});
