import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { createActionPolicy, findOverrideProblems, verdictOf } from './actions.js';
import { createEscalationTracker } from './escalation.js';
import type { RuleFinding } from './scan.js';

const finding = (rule: string, severity: RuleFinding['severity'], category = 'prompt-injection'): RuleFinding => ({
  rule, name: rule, category, severity, pointer: '', start: 0, end: 1,
});

const policyOf = (yaml: Record<string, unknown>) => createActionPolicy(configSchema.parse(yaml));
const files = { backend: 'files', kind: 'tool' as const, name: 'write_file' };

describe('createActionPolicy', () => {
  it.each([
    ['critical', 'block'],
    ['high', 'quarantine'],
    ['medium', 'flag'],
    ['low', 'record'],
  ] as const)('severity %s defaults to %s', (severity, action) => {
    expect(policyOf({}).act([finding('X-001', severity)], {})).toEqual([expect.objectContaining({ action })]);
  });

  it('an override replaces the action, and ignore drops the finding', () => {
    const policy = policyOf({ rules: { overrides: [{ id: 'X-001', action: 'flag' }, { id: 'X-002', action: 'ignore' }] } });
    expect(policy.act([finding('X-001', 'critical'), finding('X-002', 'critical')], {})).toEqual([expect.objectContaining({ rule: 'X-001', action: 'flag' })]);
  });

  it('an override limited to tools applies only to those tools', () => {
    const policy = policyOf({ rules: { overrides: [{ id: 'X-001', action: 'ignore', tools: ['files/*'] }] } });
    expect(policy.act([finding('X-001', 'critical')], { target: files })).toEqual([]);
    expect(policy.act([finding('X-001', 'critical')], { target: { ...files, backend: 'web' } })).toHaveLength(1);
    expect(policy.act([finding('X-001', 'critical')], {})).toHaveLength(1);
  });

  it("an agent's blocked_categories block whatever the severity", () => {
    const policy = policyOf({ agents: { bot: { blocked_categories: ['pii'] } } });
    expect(policy.act([finding('P-001', 'low', 'pii')], { agent: 'bot' })).toEqual([expect.objectContaining({ action: 'block' })]);
    expect(policy.act([finding('P-001', 'low', 'pii')], { agent: 'other' })).toEqual([expect.objectContaining({ action: 'record' })]);
  });

  it('escalation raises flag to quarantine and quarantine to block, never record', () => {
    const acted = policyOf({}).act([finding('A-001', 'medium'), finding('B-001', 'high'), finding('C-001', 'low')], { escalated: true });
    expect(acted.map((f) => f.action)).toEqual(['quarantine', 'block', 'record']);
  });

  it('the verdict is the strongest action', () => {
    expect(verdictOf([])).toBe('clean');
    expect(verdictOf([{ action: 'record' }, { action: 'quarantine' }, { action: 'flag' }])).toBe('quarantine');
  });

  it('reports an override tool glob that does not compile', () => {
    const config = configSchema.parse({ rules: { overrides: [{ id: 'X-001', action: 'ignore', tools: ['files/[a-'] }] } });
    expect(findOverrideProblems(config.rules)).toEqual([{ path: ['rules', 'overrides', 0, 'tools', 0], message: expect.any(String) }]);
  });
});

describe('createEscalationTracker', () => {
  const limits = { after: 3, windowS: 60 };

  it('escalates after `after` blocked or quarantined calls within the window', () => {
    const tracker = createEscalationTracker();
    tracker.note('bot', 1_000);
    tracker.note('bot', 2_000);
    expect(tracker.isEscalated('bot', limits, 3_000)).toBe(false);
    tracker.note('bot', 3_000);
    expect(tracker.isEscalated('bot', limits, 3_000)).toBe(true);
    expect(tracker.isEscalated('other', limits, 3_000)).toBe(false);
    expect(tracker.isEscalated('bot', limits, 61_500)).toBe(false);
  });

  it('remembers a bounded number of agents', () => {
    const tracker = createEscalationTracker({ maxAgents: 2 });
    for (const agent of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) tracker.note(agent, 1_000);
    expect(tracker.isEscalated('a', limits, 1_000)).toBe(false);
    expect(tracker.isEscalated('c', limits, 1_000)).toBe(true);
  });
});
