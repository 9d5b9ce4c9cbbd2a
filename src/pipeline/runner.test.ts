import { describe, expect, it, vi } from 'vitest';
import { runPipeline } from './runner.js';
import type { MessageContext, Stage, Verdict } from './types.js';

const ctx: MessageContext = {
  phase: 'request',
  sessionId: 's1',
  source: '127.0.0.1',
  method: 'tools/call',
  target: { backend: 'b', kind: 'tool', name: 't' },
  payload: {},
  headers: {},
  http: undefined,
  facts: { agent: 'anonymous', verified: false, labels: [] },
};

const stage = (name: string, verdict: Verdict | (() => Verdict | Promise<Verdict>)): Stage => ({
  name,
  check: typeof verdict === 'function' ? verdict : () => verdict,
});
const deny: Verdict = { kind: 'deny', reason: 'acl_denied', detail: 'no' };
const quarantine: Verdict = { kind: 'quarantine', reason: 'quarantined', findings: [{ source: 'rule', id: 'R1', action: 'quarantine' }] };

describe('runPipeline', () => {
  it('continues through every stage and merges facts', async () => {
    const result = await runPipeline(
      [stage('a', { kind: 'continue', facts: { agent: 'bot', verified: true } }), stage('b', { kind: 'continue' })],
      ctx,
      { mode: 'enforce', onStageError: () => undefined },
    );
    expect(result.forward).toBe(true);
    expect(result.verdict.kind).toBe('continue');
    expect(result.facts).toMatchObject({ agent: 'bot', verified: true });
    expect(result.outcomes.map((o) => [o.stage, o.outcome])).toEqual([['a', 'continue'], ['b', 'continue']]);
  });

  it('hands facts learned by a stage to the next stage', async () => {
    const check = vi.fn((): Verdict => ({ kind: 'continue' }));
    await runPipeline([stage('a', { kind: 'continue', facts: { agent: 'bot' } }), { name: 'b', check }], ctx, {
      mode: 'enforce',
      onStageError: () => undefined,
    });
    expect(check.mock.calls[0]).toEqual([expect.objectContaining({ facts: expect.objectContaining({ agent: 'bot' }) })]);
  });

  it.each([
    ['deny', deny],
    ['quarantine', quarantine],
  ])('stops at the first %s in enforce mode', async (_name, verdict) => {
    const later = vi.fn((): Verdict => ({ kind: 'continue' }));
    const result = await runPipeline([stage('a', verdict), { name: 'b', check: later }], ctx, {
      mode: 'enforce',
      onStageError: () => undefined,
    });
    expect(result.forward).toBe(false);
    expect(result.verdict).toBe(verdict);
    expect(later).not.toHaveBeenCalled();
    expect(result.outcomes).toHaveLength(1);
  });

  it('runs every stage in observe mode, records the first block, and forwards', async () => {
    const result = await runPipeline([stage('a', deny), stage('b', quarantine), stage('c', { kind: 'continue' })], ctx, {
      mode: 'observe',
      onStageError: () => undefined,
    });
    expect(result.forward).toBe(true);
    expect(result.verdict).toBe(deny);
    expect(result.outcomes.map((o) => o.outcome)).toEqual(['deny', 'quarantine', 'continue']);
    expect(result.findings).toHaveLength(1);
  });

  it.each([
    ['a synchronous throw', () => { throw new Error('boom'); }],
    ['a rejected promise', () => Promise.reject(new Error('boom'))],
  ])('fails closed on %s, naming the stage', async (_name, check) => {
    const onStageError = vi.fn();
    const result = await runPipeline([{ name: 'broken', check }, stage('b', { kind: 'continue' })], ctx, {
      mode: 'enforce',
      onStageError,
    });
    expect(result.forward).toBe(false);
    expect(result.verdict).toMatchObject({ kind: 'deny', reason: 'internal_error' });
    expect(result.outcomes[0]).toMatchObject({ stage: 'broken', outcome: 'error', reason: 'internal_error' });
    expect(onStageError).toHaveBeenCalledWith('broken', expect.any(Error));
  });

  it('fails closed on a throw even in observe mode', async () => {
    const result = await runPipeline([{ name: 'broken', check: () => { throw new Error('x'); } }], ctx, {
      mode: 'observe',
      onStageError: () => undefined,
    });
    // Observe mode records what would have happened; a broken stage would have denied.
    expect(result.verdict).toMatchObject({ kind: 'deny', reason: 'internal_error' });
  });

  it('times every stage', async () => {
    const slow = stage('slow', () => new Promise((r) => setTimeout(() => r({ kind: 'continue' }), 20)));
    const result = await runPipeline([slow], ctx, { mode: 'enforce', onStageError: () => undefined });
    expect(result.outcomes[0]?.ms).toBeGreaterThanOrEqual(15);
  });
});
