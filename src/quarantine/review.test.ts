import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../config/schema.js';
import { createSilentLogger } from '../observability/logger.js';
import { type Database, openDatabase } from '../store/open-database.js';
import { createQuarantineStore } from '../store/quarantine-store.js';
import { type HoldInput, MAX_REVIEW_REASON_CHARS, type QuarantineReview, callHashOf, createQuarantineReview } from './review.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

const dbs: Database[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const db of dbs.splice(0)) db.close();
});

interface Setup {
  review: QuarantineReview;
  clock: { now: number };
  limits: Config['quarantine'];
  recordEvent: ReturnType<typeof vi.fn>;
}

function setup(overrides: Partial<Config['quarantine']> = {}): Setup {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const clock = { now: T0 };
  const limits: Config['quarantine'] = {
    hold_s: 30,
    approval_ttl_s: 60,
    expiry_h: 1,
    elicitation: false,
    max_pending_per_agent: 3,
    ...overrides,
  };
  const recordEvent = vi.fn();
  const review = createQuarantineReview({
    store: createQuarantineStore(db, () => clock.now),
    logger: createSilentLogger(),
    limits: () => limits,
    recordEvent,
  });
  return { review, clock, limits, recordEvent };
}

const input = (overrides: Partial<HoldInput> = {}): HoldInput => ({
  held: 'request',
  agent: 'bot',
  sessionId: 's1',
  backend: 'files',
  method: 'tools/call',
  tool: 'delete_file',
  reason: 'quarantined',
  findings: [{ source: 'approval', id: 'approval.require[0]', action: 'quarantine' }],
  heldStage: 'check-approval',
  callSha256: 'a'.repeat(64),
  payload: '{"name":"files__delete_file","arguments":{"path":"/tmp/x"}}',
  ...overrides,
});

function holdOne(review: QuarantineReview, overrides: Partial<HoldInput> = {}): string {
  const held = review.hold(input(overrides));
  if (!held.ok) throw new Error('hold refused');
  return held.id;
}

describe('quarantine review: hold', () => {
  it('stores the call as a pending item and records a quarantine.held event', () => {
    const { review, recordEvent } = setup();
    const id = holdOne(review);
    expect(id).toMatch(/^q_[0-9a-f]{24}$/);
    expect(review.get(id)).toMatchObject({ ...input(), id, status: 'pending', createdAt: T0 });
    expect(recordEvent.mock.calls).toEqual([
      ['quarantine.held', { agent: 'bot', backend: 'files', tool: 'delete_file', detail: `${id} held (request, check-approval): quarantined` }],
    ]);
    const response = holdOne(review, { held: 'response', heldStage: 'response:run-guards', reason: 'guard_blocked', backend: null, tool: null });
    expect(recordEvent).toHaveBeenLastCalledWith('quarantine.held', {
      agent: 'bot',
      backend: null,
      tool: null,
      detail: `${response} held (response, response:run-guards): guard_blocked`,
    });
  });

  it('refuses a hold beyond max_pending_per_agent, with a retry hint of hold_s', () => {
    const { review, recordEvent } = setup({ max_pending_per_agent: 2, hold_s: 7 });
    const first = holdOne(review);
    holdOne(review);
    recordEvent.mockClear();
    expect(review.hold(input())).toEqual({ ok: false, retryAfterMs: 7_000 });
    expect(review.list('pending')).toHaveLength(2);
    // A refused hold is not a held event.
    expect(recordEvent).not.toHaveBeenCalled();
    // Another agent has its own allowance.
    expect(review.hold(input({ agent: 'other' }))).toMatchObject({ ok: true });
    // A decided item frees a slot.
    review.decide(first, 'rejected', 'alice', null);
    expect(review.hold(input())).toMatchObject({ ok: true });
  });

  it('hints at least one second when hold_s is 0', () => {
    const { review } = setup({ max_pending_per_agent: 1, hold_s: 0 });
    holdOne(review);
    expect(review.hold(input())).toEqual({ ok: false, retryAfterMs: 1_000 });
  });
});

describe('quarantine review: waitForDecision', () => {
  const wait = (review: QuarantineReview, id: string, options: { timeoutMs?: number; signal?: AbortSignal; tickMs?: number; onTick?: () => void } = {}) =>
    review.waitForDecision(id, {
      timeoutMs: options.timeoutMs ?? 10_000,
      signal: options.signal ?? new AbortController().signal,
      tickMs: options.tickMs ?? 1_000,
      ...(options.onTick ? { onTick: options.onTick } : {}),
    });

  it.each(['approved', 'rejected'] as const)('resolves %s with the record when decided while waiting', async (decision) => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    const waiting = wait(review, id);
    vi.advanceTimersByTime(500);
    const decided = review.decide(id, decision, 'alice', 'why');
    expect(decided.ok).toBe(true);
    await expect(waiting).resolves.toEqual({
      kind: decision,
      record: expect.objectContaining({ id, status: decision, decidedBy: 'alice', decisionReason: 'why' }),
    });
    // The timeout and the ticker are cleared.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves pending when the timeout passes first, and the item stays pending', async () => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    let settled: unknown;
    void wait(review, id, { timeoutMs: 5_000 }).then((outcome) => {
      settled = outcome;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual({ kind: 'pending' });
    expect(vi.getTimerCount()).toBe(0);
    expect(review.get(id)?.status).toBe('pending');
    // A decision after the wait ended is still recorded.
    expect(review.decide(id, 'approved', 'alice', null).ok).toBe(true);
  });

  it('resolves gone when the signal aborts, and the item stays pending', async () => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    const abort = new AbortController();
    const waiting = wait(review, id, { signal: abort.signal });
    vi.advanceTimersByTime(100);
    abort.abort();
    await expect(waiting).resolves.toEqual({ kind: 'gone' });
    expect(vi.getTimerCount()).toBe(0);
    expect(review.get(id)?.status).toBe('pending');
  });

  it('answers at once for an already aborted signal or a non-positive timeout', async () => {
    const { review } = setup();
    const id = holdOne(review);
    const aborted = AbortSignal.abort();
    await expect(wait(review, id, { signal: aborted })).resolves.toEqual({ kind: 'gone' });
    await expect(wait(review, id, { signal: aborted, timeoutMs: 0 })).resolves.toEqual({ kind: 'gone' });
    await expect(wait(review, id, { timeoutMs: 0 })).resolves.toEqual({ kind: 'pending' });
    await expect(wait(review, id, { timeoutMs: -1 })).resolves.toEqual({ kind: 'pending' });
  });

  it('wakes every waiter on the item, and none on another item', async () => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    const otherId = holdOne(review, { tool: 'other' });
    const waiters = [wait(review, id), wait(review, id), wait(review, id)];
    let otherSettled: unknown;
    void wait(review, otherId, { timeoutMs: 10_000 }).then((outcome) => {
      otherSettled = outcome;
    });
    review.decide(id, 'approved', 'alice', null);
    const outcomes = await Promise.all(waiters);
    expect(outcomes.map((o) => o.kind)).toEqual(['approved', 'approved', 'approved']);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ record: { id, status: 'approved' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(otherSettled).toBeUndefined();
    review.decide(otherId, 'rejected', 'alice', null);
    await vi.advanceTimersByTimeAsync(0);
    expect(otherSettled).toMatchObject({ kind: 'rejected', record: { id: otherId } });
  });

  it('wakes the remaining waiters when one of them went away', async () => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    const abort = new AbortController();
    const leaving = wait(review, id, { signal: abort.signal });
    const staying = wait(review, id);
    abort.abort();
    await expect(leaving).resolves.toEqual({ kind: 'gone' });
    review.decide(id, 'rejected', 'alice', 'no');
    await expect(staying).resolves.toMatchObject({ kind: 'rejected', record: { id } });
  });

  it('calls onTick every tickMs while waiting, and not after', async () => {
    vi.useFakeTimers();
    const { review } = setup();
    const id = holdOne(review);
    const onTick = vi.fn();
    const waiting = wait(review, id, { timeoutMs: 350, tickMs: 100, onTick });
    await vi.advanceTimersByTimeAsync(99);
    expect(onTick).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(onTick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(250);
    await expect(waiting).resolves.toEqual({ kind: 'pending' });
    expect(onTick).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onTick).toHaveBeenCalledTimes(3);
  });

  it('ticks on real timers too (loose bounds)', async () => {
    const { review } = setup();
    const id = holdOne(review);
    const onTick = vi.fn();
    const started = Date.now();
    const outcome = await wait(review, id, { timeoutMs: 220, tickMs: 40, onTick });
    expect(outcome).toEqual({ kind: 'pending' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(onTick.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(onTick.mock.calls.length).toBeLessThanOrEqual(6);
  });
});

describe('quarantine review: decide', () => {
  it.each(['approved', 'rejected'] as const)('%s: records an audit event naming id, reviewer and reason', (decision) => {
    const { review, recordEvent, clock } = setup();
    const id = holdOne(review);
    recordEvent.mockClear();
    clock.now = T0 + 1_000;
    const result = review.decide(id, decision, 'alice', 'looked at the path');
    expect(result).toEqual({
      ok: true,
      record: expect.objectContaining({ id, status: decision, decidedAt: T0 + 1_000, decidedBy: 'alice', decisionReason: 'looked at the path' }),
    });
    expect(recordEvent).toHaveBeenCalledTimes(1);
    expect(recordEvent).toHaveBeenCalledWith(`quarantine.${decision}`, {
      agent: 'bot',
      backend: 'files',
      tool: 'delete_file',
      detail: `${id} ${decision} by alice: looked at the path`,
    });
  });

  it('leaves the reason out of the detail when there is none', () => {
    const { review, recordEvent } = setup();
    const id = holdOne(review);
    expect(review.decide(id, 'rejected', 'alice', null)).toMatchObject({ ok: true, record: { decisionReason: null } });
    expect(recordEvent).toHaveBeenCalledWith('quarantine.rejected', expect.objectContaining({ detail: `${id} rejected by alice` }));
  });

  it('refuses an agent deciding its own item, and records nothing', async () => {
    vi.useFakeTimers();
    const { review, recordEvent } = setup();
    const id = holdOne(review, { agent: 'bot' });
    recordEvent.mockClear();
    let settled: unknown;
    void review.waitForDecision(id, { timeoutMs: 10_000, signal: new AbortController().signal, tickMs: 1_000 }).then((o) => {
      settled = o;
    });
    const result = review.decide(id, 'approved', 'bot', 'approving myself');
    expect(result).toEqual({ ok: false, why: 'own_item', record: expect.objectContaining({ id, status: 'pending' }) });
    expect(recordEvent).not.toHaveBeenCalled();
    expect(review.get(id)).toMatchObject({ status: 'pending', decidedAt: null, decidedBy: null, decisionReason: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBeUndefined();
    // Someone else may.
    expect(review.decide(id, 'approved', 'alice', null).ok).toBe(true);
  });

  it('clips the reason to MAX_REVIEW_REASON_CHARS, in the record and the event', () => {
    const { review, recordEvent } = setup();
    const id = holdOne(review);
    const long = 'x'.repeat(MAX_REVIEW_REASON_CHARS + 500);
    const clipped = 'x'.repeat(MAX_REVIEW_REASON_CHARS);
    const result = review.decide(id, 'approved', 'alice', long);
    expect(result).toMatchObject({ ok: true, record: { decisionReason: clipped } });
    expect(review.get(id)?.decisionReason).toBe(clipped);
    expect(recordEvent).toHaveBeenCalledWith('quarantine.approved', expect.objectContaining({ detail: `${id} approved by alice: ${clipped}` }));
  });

  it('answers not_found, not_pending and expired without recording an event', () => {
    const { review, recordEvent, clock } = setup({ expiry_h: 2 });
    expect(review.decide('q_000000000000000000000000', 'approved', 'alice', null)).toEqual({ ok: false, why: 'not_found' });

    const decided = holdOne(review);
    review.decide(decided, 'approved', 'alice', null);
    recordEvent.mockClear();
    expect(review.decide(decided, 'rejected', 'carol', null)).toMatchObject({ ok: false, why: 'not_pending', record: { status: 'approved' } });

    const old = holdOne(review);
    recordEvent.mockClear();
    clock.now = T0 + 2 * HOUR + 1;
    expect(review.decide(old, 'approved', 'alice', null)).toMatchObject({ ok: false, why: 'expired', record: { status: 'expired' } });
    expect(recordEvent).not.toHaveBeenCalled();
  });

  it('expires stale items on get, list and sweep', () => {
    const { review, clock } = setup({ expiry_h: 1 });
    const a = holdOne(review);
    clock.now = T0 + HOUR + 1;
    expect(review.get(a)?.status).toBe('expired');
    clock.now = T0;
    const b = holdOne(review);
    clock.now = T0 + HOUR + 1;
    expect(review.list('pending')).toEqual([]);
    expect(review.list('expired').map((r) => r.id).sort()).toEqual([a, b].sort());
    clock.now = T0;
    const c = holdOne(review);
    clock.now = T0 + HOUR + 1;
    review.sweep();
    expect(review.list('expired').map((r) => r.id).sort()).toEqual([a, b, c].sort());
  });
});

describe('quarantine review: approvalFor and claim', () => {
  const HASH = 'b'.repeat(64);

  it('finds an unused approval within approval_ttl_s, and lets it be claimed once', () => {
    const { review, clock } = setup({ approval_ttl_s: 60 });
    const id = holdOne(review, { callSha256: HASH });
    expect(review.approvalFor(HASH, 'bot')).toBeUndefined();
    clock.now = T0 + 1_000;
    review.decide(id, 'approved', 'alice', null);

    clock.now = T0 + 1_000 + 60_000;
    expect(review.approvalFor(HASH, 'bot')?.id).toBe(id);
    expect(review.approvalFor(HASH, 'other')).toBeUndefined();
    expect(review.claim(id)).toBe(true);
    expect(review.claim(id)).toBe(false);
    expect(review.approvalFor(HASH, 'bot')).toBeUndefined();
  });

  it('does not find an approval older than approval_ttl_s', () => {
    const { review, clock } = setup({ approval_ttl_s: 60 });
    const id = holdOne(review, { callSha256: HASH });
    review.decide(id, 'approved', 'alice', null);
    clock.now = T0 + 60_001;
    expect(review.approvalFor(HASH, 'bot')).toBeUndefined();
  });

  it('reads approval_ttl_s at each call (live reload)', () => {
    const { review, clock, limits } = setup({ approval_ttl_s: 60 });
    const id = holdOne(review, { callSha256: HASH });
    review.decide(id, 'approved', 'alice', null);
    clock.now = T0 + 120_000;
    expect(review.approvalFor(HASH, 'bot')).toBeUndefined();
    limits.approval_ttl_s = 120;
    expect(review.approvalFor(HASH, 'bot')?.id).toBe(id);
  });

  it('never finds a rejected call', () => {
    const { review } = setup();
    const id = holdOne(review, { callSha256: HASH });
    review.decide(id, 'rejected', 'alice', null);
    expect(review.approvalFor(HASH, 'bot')).toBeUndefined();
  });
});

describe('callHashOf', () => {
  const base = { agent: 'bot', backend: 'files', tool: 'read_file', arguments: { path: '/tmp/x', options: { a: 1, b: [1, 'two'] } } };

  it('is the SHA-256 of the RFC 8785 canonical form', () => {
    const canonical = '{"agent":"bot","arguments":{"options":{"a":1,"b":[1,"two"]},"path":"/tmp/x"},"backend":"files","tool":"read_file"}';
    expect(callHashOf(base)).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(callHashOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on argument key order', () => {
    const reordered = { tool: 'read_file', arguments: { options: { b: [1, 'two'], a: 1 }, path: '/tmp/x' }, backend: 'files', agent: 'bot' };
    expect(callHashOf(reordered)).toBe(callHashOf(base));
  });

  it.each([
    ['agent', { ...base, agent: 'other' }],
    ['backend', { ...base, backend: 'files2' }],
    ['backend (null)', { ...base, backend: null }],
    ['tool', { ...base, tool: 'read_files' }],
    ['tool (null)', { ...base, tool: null }],
    ['argument value', { ...base, arguments: { ...base.arguments, path: '/tmp/y' } }],
    ['argument type', { ...base, arguments: { ...base.arguments, options: { a: '1', b: [1, 'two'] } } }],
    ['array order', { ...base, arguments: { ...base.arguments, options: { a: 1, b: ['two', 1] } } }],
    ['extra argument', { ...base, arguments: { ...base.arguments, extra: true } }],
    ['no arguments', { ...base, arguments: {} }],
  ])('differs when the %s differs', (_what, call) => {
    expect(callHashOf(call)).not.toBe(callHashOf(base));
  });
});

describe('quarantine review: the count that spares most calls a lookup', () => {
  it('reads approvals made before it started (a gateway restart), and counts claims down', () => {
    const db = openDatabase(':memory:');
    dbs.push(db);
    const clock = { now: T0 };
    const limits: Config['quarantine'] = { hold_s: 30, approval_ttl_s: 60, expiry_h: 1, elicitation: false, max_pending_per_agent: 3 };
    const make = (): QuarantineReview =>
      createQuarantineReview({ store: createQuarantineStore(db, () => clock.now), logger: createSilentLogger(), limits: () => limits, recordEvent: vi.fn() });
    const before = make();
    expect(before.hasUnusedApprovals()).toBe(false);
    const id = holdOne(before);
    expect(before.decide(id, 'approved', 'ops', null).ok).toBe(true);
    expect(before.hasUnusedApprovals()).toBe(true);
    // A new review over the same store (the gateway restarted) still finds the approval.
    const after = make();
    expect(after.hasUnusedApprovals()).toBe(true);
    expect(after.approvalFor('a'.repeat(64), 'bot')?.id).toBe(id);
    expect(after.claim(id)).toBe(true);
    expect(after.hasUnusedApprovals()).toBe(false);
    expect(after.approvalFor('a'.repeat(64), 'bot')).toBeUndefined();
  });
});
