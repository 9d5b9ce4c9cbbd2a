import { describe, expect, it, vi } from 'vitest';
import type { AuditLog, AuditRecord } from '../store/types.js';
import { withCommitListeners } from '../store/commit-listeners.js';
import { webhookEventOf, webhookListener } from './audit-tap.js';
import type { WebhookDispatcher } from './dispatcher.js';

/** The audit log as the gateway wires it for webhooks. */
const tapAuditLog = (log: AuditLog, webhooks: WebhookDispatcher): AuditLog => withCommitListeners(log, [webhookListener(webhooks)]);

const SECRET = 'AKIAIOSFODNN7EXAMPLE';

function denied(reason: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    ts: 1_700_000_000_000,
    kind: 'request',
    sessionId: 'sess-1',
    agent: 'alice',
    verified: true,
    source: '10.0.0.7',
    backend: 'files',
    method: 'tools/call',
    tool: 'read_file',
    requestId: '7',
    decision: 'deny',
    reason,
    detail: `detail for ${reason}`,
    errorCode: -32080,
    forwarded: false,
    mode: 'enforce',
    findings: [
      { id: 'aws-access-key', severity: 'high', match: SECRET },
      { id: 'aws-access-key', severity: 'high', match: SECRET },
      { id: 'private-key', severity: 'critical' },
    ],
    latencyMs: 3,
    payload: { request: { params: { arguments: { text: SECRET } } } },
    ...overrides,
  };
}

function event(method: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return { ts: 1_700_000_000_000, kind: 'event', method, decision: 'event', forwarded: false, mode: 'enforce', ...overrides };
}

describe('webhookEventOf: request rows', () => {
  it.each(['rule_blocked', 'guard_blocked', 'flow_denied'])('maps a %s denial to blocked, without the payload', (reason) => {
    const hook = webhookEventOf(denied(reason));
    expect(hook).toEqual({
      event: 'blocked',
      data: {
        agent: 'alice',
        backend: 'files',
        tool: 'read_file',
        method: 'tools/call',
        reason,
        findings: ['aws-access-key', 'private-key'],
      },
    });
    // Nothing of the call's content, the matched text or operator detail leaves the gateway.
    expect(JSON.stringify(hook)).not.toContain(SECRET);
    expect(JSON.stringify(hook)).not.toContain('detail for');
  });

  it('uses null for a missing agent, backend and tool, and [] when there are no findings', () => {
    const record = denied('flow_denied', { agent: undefined, backend: null, tool: undefined, findings: undefined });
    expect(webhookEventOf(record)).toEqual({
      event: 'blocked',
      data: { agent: null, backend: null, tool: null, method: 'tools/call', reason: 'flow_denied', findings: [] },
    });
  });

  it('keeps only string finding ids, deduplicated in first-seen order, at most 32', () => {
    const findings = [{ id: 'b' }, { id: 7 }, {}, null, 'a', { id: 'a' }, { id: 'b' }, ...Array.from({ length: 40 }, (_, i) => ({ id: `r${i}` }))];
    const hook = webhookEventOf(denied('rule_blocked', { findings: findings.filter((f) => f !== null) }));
    const ids = (hook?.data as { findings: string[] }).findings;
    expect(ids.slice(0, 4)).toEqual(['b', 'a', 'r0', 'r1']);
    expect(ids).toHaveLength(32);
    expect(ids.at(-1)).toBe('r29');
  });

  it.each(['acl_denied', 'rate_limited', 'bad_signature', 'agent_suspended', 'quota_exceeded'])('does not map a %s denial', (reason) => {
    expect(webhookEventOf(denied(reason))).toBeUndefined();
  });

  it('does not map a denial without a reason', () => {
    expect(webhookEventOf(denied('rule_blocked', { reason: null }))).toBeUndefined();
    expect(webhookEventOf(denied('rule_blocked', { reason: undefined }))).toBeUndefined();
  });

  it('does not map allowed or quarantined requests, even with a blocking reason or findings', () => {
    expect(webhookEventOf(denied('rule_blocked', { decision: 'allow' }))).toBeUndefined();
    expect(webhookEventOf(denied('rule_blocked', { decision: 'quarantine' }))).toBeUndefined();
    expect(webhookEventOf(denied('rule_blocked', { decision: 'allow', reason: null }))).toBeUndefined();
  });

  it('does not map a notification row, even a blocked one', () => {
    expect(webhookEventOf(denied('rule_blocked', { kind: 'notification', method: 'notifications/message' }))).toBeUndefined();
  });
});

describe('webhookEventOf: event rows', () => {
  it.each([
    ['quarantine.held', 'quarantined'],
    ['quarantine.approved', 'approved'],
    ['quarantine.rejected', 'rejected'],
    ['agent.suspended', 'agent_suspended'],
  ] as const)('maps %s to %s with who and the detail', (method, expected) => {
    const record = event(method, { agent: 'alice', backend: 'files', tool: 'write_file', detail: 'by ops: looks wrong', payload: { secret: SECRET } });
    const hook = webhookEventOf(record);
    expect(hook).toEqual({ event: expected, data: { agent: 'alice', backend: 'files', tool: 'write_file', detail: 'by ops: looks wrong' } });
    expect(JSON.stringify(hook)).not.toContain(SECRET);
  });

  it('uses null for what an event row does not name', () => {
    expect(webhookEventOf(event('agent.suspended', { agent: 'bob' }))).toEqual({
      event: 'agent_suspended',
      data: { agent: 'bob', backend: null, tool: null, detail: null },
    });
  });

  it.each(['agent.unsuspended', 'config.reload', 'gateway.start', 'gateway.stop', 'backend.down', 'quarantine.expired', 'quarantine'])(
    'maps nothing for %s',
    (method) => {
      expect(webhookEventOf(event(method, { agent: 'alice' }))).toBeUndefined();
    },
  );

  it('maps an event method only on an event row', () => {
    expect(webhookEventOf({ ...event('agent.suspended'), kind: 'request', decision: 'allow' })).toBeUndefined();
    expect(webhookEventOf({ ...event('quarantine.held'), kind: 'notification' })).toBeUndefined();
  });
});

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function fakes(): {
  log: AuditLog & { append: ReturnType<typeof vi.fn>; flush: ReturnType<typeof vi.fn>; close: ReturnType<typeof vi.fn> };
  webhooks: WebhookDispatcher & { emit: ReturnType<typeof vi.fn> };
  pending: Deferred[];
} {
  const pending: Deferred[] = [];
  const log = {
    append: vi.fn((_record: AuditRecord) => {
      const d = deferred();
      pending.push(d);
      return d.promise;
    }),
    flush: vi.fn(() => Promise.resolve()),
    close: vi.fn(() => Promise.resolve()),
  };
  const webhooks = {
    emit: vi.fn(),
    drain: vi.fn(() => Promise.resolve()),
    stats: vi.fn(() => ({ queued: 0, delivered: 0, failed: 0, dropped: 0 })),
    close: vi.fn(),
  };
  return { log, webhooks, pending };
}

const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('webhooks on the committed audit log (withCommitListeners + webhookListener)', () => {
  it('emits only after the wrapped append resolved, with the mapped event', async () => {
    const { log, webhooks, pending } = fakes();
    const tapped = tapAuditLog(log, webhooks);
    const record = denied('guard_blocked');
    let done = false;
    const appended = tapped.append(record).then(() => {
      done = true;
    });

    expect(log.append).toHaveBeenCalledTimes(1);
    expect(log.append).toHaveBeenCalledWith(record);
    await flushMicrotasks();
    expect(webhooks.emit).not.toHaveBeenCalled();
    expect(done).toBe(false);

    pending[0]?.resolve();
    await appended;
    expect(webhooks.emit).toHaveBeenCalledTimes(1);
    expect(webhooks.emit).toHaveBeenCalledWith('blocked', {
      agent: 'alice',
      backend: 'files',
      tool: 'read_file',
      method: 'tools/call',
      reason: 'guard_blocked',
      findings: ['aws-access-key', 'private-key'],
    });
  });

  it('does not emit when append rejects, and the rejection propagates', async () => {
    const { log, webhooks, pending } = fakes();
    const tapped = tapAuditLog(log, webhooks);
    const appended = tapped.append(event('quarantine.held', { agent: 'alice' }));
    const failure = new Error('disk full');
    pending[0]?.reject(failure);
    await expect(appended).rejects.toBe(failure);
    await flushMicrotasks();
    expect(webhooks.emit).not.toHaveBeenCalled();
  });

  it('appends, but does not emit, records that are no webhook event', async () => {
    const { log, webhooks, pending } = fakes();
    const tapped = tapAuditLog(log, webhooks);
    const records = [denied('acl_denied'), denied('rule_blocked', { decision: 'allow', reason: null }), event('agent.unsuspended', { agent: 'a' })];
    const appends = records.map((r) => tapped.append(r));
    for (const d of pending) d.resolve();
    await Promise.all(appends);
    expect(log.append).toHaveBeenCalledTimes(3);
    expect(log.append.mock.calls.map((c) => c[0])).toEqual(records);
    expect(webhooks.emit).not.toHaveBeenCalled();
  });

  it('emits in commit order, one per committed record', async () => {
    const { log, webhooks, pending } = fakes();
    const tapped = tapAuditLog(log, webhooks);
    const first = tapped.append(event('quarantine.approved', { agent: 'a' }));
    const second = tapped.append(event('quarantine.rejected', { agent: 'b' }));
    pending[1]?.resolve();
    await second;
    expect(webhooks.emit.mock.calls.map((c) => c[0])).toEqual(['rejected']);
    pending[0]?.resolve();
    await first;
    expect(webhooks.emit.mock.calls.map((c) => [c[0], (c[1] as { agent: string }).agent])).toEqual([
      ['rejected', 'b'],
      ['approved', 'a'],
    ]);
  });

  it('flush and close delegate to the wrapped log, results and failures included', async () => {
    const { log, webhooks } = fakes();
    const tapped = tapAuditLog(log, webhooks);
    await tapped.flush();
    expect(log.flush).toHaveBeenCalledTimes(1);
    expect(log.close).not.toHaveBeenCalled();
    await tapped.close();
    expect(log.close).toHaveBeenCalledTimes(1);
    expect(log.flush).toHaveBeenCalledTimes(1);

    const flushFailure = new Error('flush failed');
    const closeFailure = new Error('close failed');
    log.flush.mockReturnValueOnce(Promise.reject(flushFailure));
    log.close.mockReturnValueOnce(Promise.reject(closeFailure));
    await expect(tapped.flush()).rejects.toBe(flushFailure);
    await expect(tapped.close()).rejects.toBe(closeFailure);
    expect(log.flush).toHaveBeenCalledTimes(2);
    expect(log.close).toHaveBeenCalledTimes(2);
    // Neither touches the dispatcher: closing webhooks is the gateway's call.
    expect(webhooks.close).not.toHaveBeenCalled();
    expect(webhooks.drain).not.toHaveBeenCalled();
    expect(webhooks.emit).not.toHaveBeenCalled();
  });
});
