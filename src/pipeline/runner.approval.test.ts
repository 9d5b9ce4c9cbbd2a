import { describe, expect, it, vi } from 'vitest';
import { runPipeline } from './runner.js';
import type { Finding, MessageContext, Stage, Verdict } from './types.js';

const ctx: MessageContext = {
  phase: 'request',
  sessionId: 's1',
  source: '127.0.0.1',
  method: 'tools/call',
  target: { backend: 'files', kind: 'tool', name: 'delete_file' },
  payload: { name: 'files__delete_file', arguments: { path: '/tmp/x' } },
  headers: {},
  http: undefined,
  facts: { agent: 'bot', verified: true, labels: [] },
};

const stage = (name: string, verdict: Verdict): Stage => ({ name, check: () => verdict });
const spyStage = (name: string, verdict: Verdict = { kind: 'continue' }) => {
  const check = vi.fn((): Verdict => verdict);
  return { stage: { name, check } satisfies Stage, check };
};

const approvalFinding: Finding = { source: 'approval', id: 'approval.require[0]', action: 'quarantine', message: 'needs approval' };
const ruleFinding: Finding = { source: 'rule', id: 'R1', action: 'quarantine' };
const held: Verdict = { kind: 'quarantine', reason: 'quarantined', findings: [approvalFinding] };
const heldByRule: Verdict = { kind: 'quarantine', reason: 'quarantined', findings: [ruleFinding] };
const deny: Verdict = { kind: 'deny', reason: 'acl_denied', detail: 'no', findings: [approvalFinding] };

const options = (approvedStage: string | undefined, mode: 'enforce' | 'observe' = 'enforce') => ({
  mode,
  onStageError: () => undefined,
  ...(approvedStage !== undefined ? { approvedStage } : {}),
});

const outcomesOf = (result: { outcomes: readonly { stage: string; outcome: string; reason?: string }[] }) =>
  result.outcomes.map(({ stage: name, outcome, reason }) => (reason === undefined ? { stage: name, outcome } : { stage: name, outcome, reason }));

describe('runPipeline approvedStage', () => {
  it('turns a quarantine from the approved stage into continue (reason approved), runs later stages and forwards', async () => {
    const later = spyStage('scan-rules');
    const result = await runPipeline(
      [stage('check-acl', { kind: 'continue' }), stage('check-approval', held), later.stage],
      ctx,
      options('check-approval'),
    );
    expect(result.forward).toBe(true);
    expect(result.verdict).toEqual({ kind: 'continue' });
    expect(later.check).toHaveBeenCalledTimes(1);
    expect(result.outcomes).toHaveLength(3);
    expect(result.outcomes[1]).toEqual({ stage: 'check-approval', outcome: 'continue', reason: 'approved', ms: expect.any(Number) });
    expect(outcomesOf(result)).toEqual([
      { stage: 'check-acl', outcome: 'continue' },
      { stage: 'check-approval', outcome: 'continue', reason: 'approved' },
      { stage: 'scan-rules', outcome: 'continue' },
    ]);
    // What the approved stage found is kept.
    expect(result.findings).toEqual([approvalFinding]);
  });

  it('leaves the outcome of the approved stage unmarked when it continues on its own', async () => {
    const result = await runPipeline([stage('check-approval', { kind: 'continue' })], ctx, options('check-approval'));
    expect(result.outcomes).toEqual([{ stage: 'check-approval', outcome: 'continue', ms: expect.any(Number) }]);
  });

  it('does not convert a deny from the approved stage', async () => {
    const later = spyStage('scan-rules');
    const result = await runPipeline([stage('check-approval', deny), later.stage], ctx, options('check-approval'));
    expect(result.forward).toBe(false);
    expect(result.verdict).toBe(deny);
    expect(later.check).not.toHaveBeenCalled();
    expect(outcomesOf(result)).toEqual([{ stage: 'check-approval', outcome: 'deny', reason: 'acl_denied' }]);
    expect(result.findings).toEqual([approvalFinding]);
  });

  it('does not convert a failure of the approved stage', async () => {
    const broken: Stage = { name: 'check-approval', check: () => { throw new Error('boom'); } };
    const result = await runPipeline([broken], ctx, options('check-approval'));
    expect(result.forward).toBe(false);
    expect(result.verdict).toMatchObject({ kind: 'deny', reason: 'internal_error' });
    expect(outcomesOf(result)).toEqual([{ stage: 'check-approval', outcome: 'error', reason: 'internal_error' }]);
  });

  it('does not convert a quarantine from a later stage', async () => {
    const result = await runPipeline(
      [stage('check-approval', held), stage('scan-rules', heldByRule), stage('after', { kind: 'continue' })],
      ctx,
      options('check-approval'),
    );
    expect(result.forward).toBe(false);
    expect(result.verdict).toBe(heldByRule);
    expect(outcomesOf(result)).toEqual([
      { stage: 'check-approval', outcome: 'continue', reason: 'approved' },
      { stage: 'scan-rules', outcome: 'quarantine', reason: 'quarantined' },
    ]);
    expect(result.findings).toEqual([approvalFinding, ruleFinding]);
  });

  it('does not convert a quarantine from an earlier stage', async () => {
    const approved = spyStage('check-approval', held);
    const result = await runPipeline([stage('scan-rules', heldByRule), approved.stage], ctx, options('check-approval'));
    expect(result.forward).toBe(false);
    expect(result.verdict).toBe(heldByRule);
    expect(approved.check).not.toHaveBeenCalled();
    expect(outcomesOf(result)).toEqual([{ stage: 'scan-rules', outcome: 'quarantine', reason: 'quarantined' }]);
  });

  it('converts nothing when another stage was approved, or none', async () => {
    for (const approvedStage of ['scan-rules', undefined]) {
      const result = await runPipeline([stage('check-approval', held)], ctx, options(approvedStage));
      expect(result.forward).toBe(false);
      expect(result.verdict).toBe(held);
      expect(outcomesOf(result)).toEqual([{ stage: 'check-approval', outcome: 'quarantine', reason: 'quarantined' }]);
    }
  });

  it('in observe mode records the approved stage as continue and blocks on nothing else', async () => {
    const result = await runPipeline(
      [stage('check-approval', held), stage('after', { kind: 'continue' })],
      ctx,
      options('check-approval', 'observe'),
    );
    expect(result.forward).toBe(true);
    expect(result.verdict).toEqual({ kind: 'continue' });
    expect(outcomesOf(result)).toEqual([
      { stage: 'check-approval', outcome: 'continue', reason: 'approved' },
      { stage: 'after', outcome: 'continue' },
    ]);
    expect(result.findings).toEqual([approvalFinding]);
  });

  it('hands later stages the same facts and payload as without a hold', async () => {
    const later = spyStage('scan-rules');
    await runPipeline(
      [stage('identify', { kind: 'continue', facts: { labels: ['x'] } }), stage('check-approval', held), later.stage],
      ctx,
      options('check-approval'),
    );
    expect(later.check).toHaveBeenCalledWith(
      expect.objectContaining({ payload: ctx.payload, facts: { agent: 'bot', verified: true, labels: ['x'] } }),
    );
  });
});
