import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../access/policy.js';
import { configSchema } from '../../config/schema.js';
import type { MessageContext, Phase } from '../types.js';
import { createSuspensionStage } from './check-suspension.js';

const policy = compilePolicy(
  configSchema.parse({ agents: { 'yaml-stopped': { suspended: true }, 'bot.v2': { suspended: true }, fine: {} } }),
);
const operatorSuspended = new Set(['operator-stopped']);

function contextOf(agent: string, phase: Phase): MessageContext {
  return {
    phase,
    sessionId: 's1',
    source: '127.0.0.1',
    method: phase === 'request' ? 'tools/call' : 'ping',
    target: undefined,
    payload: {},
    headers: {},
    http: undefined,
    facts: { agent, verified: true, labels: [] },
  };
}

describe('check-suspension', () => {
  const stage = createSuspensionStage({ policy }, { isSuspended: (agent) => operatorSuspended.has(agent) });

  it.each([
    ['yaml-stopped', 'request', 'agent yaml-stopped is suspended by the config (agents.yaml-stopped.suspended)'],
    ['yaml-stopped', 'housekeeping', 'agent yaml-stopped is suspended by the config (agents.yaml-stopped.suspended)'],
    ['bot.v2', 'request', 'agent bot.v2 is suspended by the config (agents["bot.v2"].suspended)'],
    ['operator-stopped', 'request', 'agent operator-stopped is suspended by an operator'],
    ['operator-stopped', 'housekeeping', 'agent operator-stopped is suspended by an operator'],
    ['fine', 'request', undefined],
    ['stranger', 'housekeeping', undefined],
  ] as const)('%s (%s) → %s', async (agent, phase, detail) => {
    const verdict = await stage.check(contextOf(agent, phase));
    expect(verdict).toEqual(
      detail === undefined ? { kind: 'continue' } : { kind: 'deny', reason: 'suspended', detail },
    );
  });

  it('asks the operator state on every message, so a live suspension applies at once', async () => {
    const live = new Set<string>();
    const liveStage = createSuspensionStage({ policy }, { isSuspended: (agent) => live.has(agent) });
    expect((await liveStage.check(contextOf('fine', 'request'))).kind).toBe('continue');
    live.add('fine');
    expect((await liveStage.check(contextOf('fine', 'request'))).kind).toBe('deny');
  });
});
