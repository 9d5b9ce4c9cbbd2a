import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { createActionPolicy } from '../../scanner/actions.js';
import { createEscalationTracker } from '../../scanner/escalation.js';
import { parseRuleText } from '../../scanner/load-rules.js';
import { createRuleSet } from '../../scanner/rule-set.js';
import type { MessageContext, Phase } from '../types.js';
import { createScanStage } from './scan-rules.js';

const rules = createRuleSet(
  parseRuleText(
    `- id: B-001
  name: blocked word
  category: test
  severity: critical
  patterns: [{ contains: forbidden }]
  examples: { match: [forbidden], no_match: [fine] }
- id: Q-001
  name: held word
  category: test
  severity: high
  patterns: [{ contains: suspicious }]
  examples: { match: [suspicious], no_match: [fine] }
- id: F-001
  name: flagged word
  category: test
  severity: medium
  patterns: [{ contains: odd }]
  examples: { match: [odd], no_match: [fine] }
`,
    'r.yaml',
  ).rules,
);

function contextOf(phase: Phase, method: string, payload: unknown): MessageContext {
  return {
    phase, sessionId: 's1', source: '127.0.0.1', method, target: { backend: 'files', kind: 'tool', name: 'write_file' },
    payload, headers: {}, http: undefined, facts: { agent: 'bot', verified: true, labels: [] },
  };
}

function stageFor(half: 'request' | 'response', yaml: Record<string, unknown> = {}) {
  const config = configSchema.parse(yaml);
  const escalation = createEscalationTracker();
  return { escalation, stage: createScanStage({ half, rules: config.rules, actions: createActionPolicy(config) }, { ruleSet: () => rules, escalation }) };
}

describe('scan-rules', () => {
  it('blocks a critical finding in tool arguments with rule ids for the client, pointers for the audit log', async () => {
    const { stage } = stageFor('request');
    const verdict = await stage.check(contextOf('request', 'tools/call', { name: 'files__write_file', arguments: { content: 'a forbidden word' } }));
    expect(verdict).toMatchObject({ kind: 'deny', reason: 'rule_blocked', data: { rules: ['B-001'] } });
    expect(verdict.findings).toEqual([expect.objectContaining({ id: 'B-001', pointer: '/params/arguments/content', start: 2, end: 11, action: 'block' })]);
  });

  it('quarantines a high finding, and lets flagged ones ride along', async () => {
    const { stage } = stageFor('request');
    expect(await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'suspicious' } }))).toMatchObject({ kind: 'quarantine', reason: 'quarantined' });
    expect(await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'odd' } }))).toMatchObject({ kind: 'continue', findings: [expect.objectContaining({ action: 'flag' })] });
    expect(await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'fine' } }))).toEqual({ kind: 'continue' });
  });

  it('reads results in the response half, and nothing that is not a call', async () => {
    const { stage } = stageFor('response');
    const result = { content: [{ type: 'text', text: 'forbidden' }] };
    expect(await stage.check(contextOf('response', 'tools/call', result))).toMatchObject({ kind: 'deny', findings: [expect.objectContaining({ pointer: '/result/content/0/text' })] });
    expect(await stage.check(contextOf('housekeeping', 'tools/list', result))).toEqual({ kind: 'continue' });
    expect(await stageFor('request').stage.check(contextOf('response', 'tools/call', result))).toEqual({ kind: 'continue' });
  });

  it('blocks what it could not read in full (oversize_action)', async () => {
    const { stage } = stageFor('request', { rules: { max_scan_bytes: 10 } });
    expect(await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'x'.repeat(100) } }))).toMatchObject({ kind: 'deny', data: { rules: ['oversize'] } });
  });

  it('escalates an agent after repeated blocked or held calls', async () => {
    const { stage } = stageFor('request', { rules: { escalation: { after: 2, window_s: 60 } } });
    const odd = contextOf('request', 'tools/call', { arguments: { a: 'odd' } });
    expect((await stage.check(odd)).kind).toBe('continue');
    await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'forbidden' } }));
    await stage.check(contextOf('request', 'tools/call', { arguments: { a: 'suspicious' } }));
    expect((await stage.check(odd)).kind).toBe('quarantine');
  });
});
