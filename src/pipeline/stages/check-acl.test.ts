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
      },
    },
  }),
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
