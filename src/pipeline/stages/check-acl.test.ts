import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../access/policy.js';
import { configSchema } from '../../config/schema.js';
import type { MessageContext, Phase, Target } from '../types.js';
import { createAclStage } from './check-acl.js';

const policy = compilePolicy(
  configSchema.parse({
    default_policy: 'deny',
    agents: {
      'research-bot': {
        allow: ['everything/*', 'files/read_*', 'prompt:everything/*', 'resource:files/file:///srv/shared/**'],
        deny: ['files/delete_*'],
        can_message: ['analysis-*'],
      },
      quiet: { can_message: [] },
    },
  }),
);

const openPolicy = compilePolicy(
  configSchema.parse({ default_policy: 'allow', agents: { picky: { can_message: ['bob'] }, quiet: {} } }),
);

function contextOf(agent: string, method: string, phase: Phase, target: Target | undefined): MessageContext {
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

describe('check-acl', () => {
  const stage = createAclStage({ policy });

  it.each([
    ['research-bot', 'tools/call', 'request', tool('everything', 'echo'), undefined],
    ['research-bot', 'tools/call', 'request', tool('files', 'read_file'), undefined],
    [
      'research-bot',
      'tools/call',
      'request',
      tool('files', 'delete_file'),
      'agent research-bot: tool files/delete_file denied by agents.research-bot.deny[0]',
    ],
    [
      'research-bot',
      'tools/call',
      'request',
      tool('files', 'write_file'),
      'agent research-bot: tool files/write_file denied by agents.research-bot.allow (not listed)',
    ],
    [
      'stranger',
      'tools/call',
      'request',
      tool('everything', 'echo'),
      'agent stranger: tool everything/echo denied by default_policy',
    ],
    [
      'research-bot',
      'prompts/get',
      'request',
      { backend: 'everything', kind: 'prompt', name: 'simple_prompt' },
      undefined,
    ],
    [
      'research-bot',
      'resources/read',
      'request',
      { backend: 'files', kind: 'resource', name: 'file:///srv/shared/a.txt' },
      undefined,
    ],
    [
      'research-bot',
      'resources/read',
      'request',
      { backend: 'files', kind: 'resource', name: 'file:///srv/shared/../../etc/passwd' },
      'agent research-bot: resource files/file:///srv/shared/../../etc/passwd denied by agents.research-bot.allow (not listed; non-canonical URI: dot segment)',
    ],
    // Routed housekeeping that names a resource or prompt is checked too.
    [
      'research-bot',
      'resources/subscribe',
      'housekeeping',
      { backend: 'files', kind: 'resource', name: 'file:///etc/passwd' },
      'agent research-bot: resource files/file:///etc/passwd denied by agents.research-bot.allow (not listed)',
    ],
    [
      'research-bot',
      'completion/complete',
      'housekeeping',
      { backend: 'files', kind: 'prompt', name: 'secret_prompt' },
      'agent research-bot: prompt files/secret_prompt denied by agents.research-bot.allow (not listed)',
    ],
    // A work call without a resolved target is denied like a forbidden one.
    ['research-bot', 'tools/call', 'request', undefined, 'agent research-bot: tools/call has no known target'],
    [
      'research-bot',
      'tools/call',
      'request',
      { backend: 'files', kind: 'backend', name: '' },
      'agent research-bot: tools/call has no known target',
    ],
    // Housekeeping without a target (initialize, ping, lists) is not this stage's business.
    ['stranger', 'ping', 'housekeeping', undefined, undefined],
    ['stranger', 'logging/setLevel', 'housekeeping', { backend: 'files', kind: 'backend', name: '' }, undefined],
  ] as const)('%s %s (%s) %j → %s', async (agent, method, phase, target, detail) => {
    const verdict = await stage.check(contextOf(agent, method, phase, target));
    expect(verdict).toEqual(
      detail === undefined ? { kind: 'continue' } : { kind: 'deny', reason: 'acl_denied', detail },
    );
  });
});

describe('check-acl on agent-to-agent messages', () => {
  const agent = (name: string): Target => ({ backend: '', kind: 'agent', name });

  it.each([
    // A non-empty can_message list means exactly those agents (globs allowed).
    ['deny', 'research-bot', 'analysis-bot', undefined],
    [
      'deny',
      'research-bot',
      'other-bot',
      'agent research-bot: message to other-bot denied by agents.research-bot.can_message or default_policy',
    ],
    // An empty list, or no entry at all, falls back to default_policy.
    [
      'deny',
      'quiet',
      'analysis-bot',
      'agent quiet: message to analysis-bot denied by agents.quiet.can_message or default_policy',
    ],
    [
      'deny',
      'stranger',
      'research-bot',
      'agent stranger: message to research-bot denied by agents.stranger.can_message or default_policy',
    ],
    ['allow', 'quiet', 'anyone', undefined],
    ['allow', 'stranger', 'anyone', undefined],
    // Under default allow, a list still restricts its agent to exactly those agents.
    ['allow', 'picky', 'bob', undefined],
    ['allow', 'picky', 'carol', 'agent picky: message to carol denied by agents.picky.can_message or default_policy'],
    // An agent target without a name is a message with no recipient: denied like an unresolved call.
    ['allow', 'picky', '', 'agent picky: messages/send has no known target'],
  ] as const)('default %s: %s → %s', async (defaultPolicy, from, to, detail) => {
    const stage = createAclStage({ policy: defaultPolicy === 'deny' ? policy : openPolicy });
    const verdict = await stage.check(contextOf(from, 'messages/send', 'request', agent(to)));
    expect(verdict).toEqual(
      detail === undefined ? { kind: 'continue' } : { kind: 'deny', reason: 'acl_denied', detail },
    );
  });

  it('never treats an agent target as a tool: allow globs do not grant messages', async () => {
    const permissive = compilePolicy(
      configSchema.parse({ default_policy: 'deny', agents: { all: { allow: ['**'] } } }),
    );
    const stage = createAclStage({ policy: permissive });
    expect(await stage.check(contextOf('all', 'tools/call', 'request', tool('files', 'bob')))).toEqual({
      kind: 'continue',
    });
    expect(await stage.check(contextOf('all', 'messages/send', 'request', agent('bob')))).toMatchObject({
      kind: 'deny',
      reason: 'acl_denied',
    });
  });
});
