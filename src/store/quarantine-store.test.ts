import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './open-database.js';
import { type NewQuarantineItem, type QuarantineStore, createQuarantineStore } from './quarantine-store.js';

const T0 = 1_700_000_000_000;
const EXPIRY_MS = 10_000;

const dbs: Database[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store over an in-memory database with a clock the test moves (`clock.now`). */
function open(): { store: QuarantineStore; clock: { now: number } } {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const clock = { now: T0 };
  return { store: createQuarantineStore(db, () => clock.now), clock };
}

const item = (overrides: Partial<NewQuarantineItem> = {}): NewQuarantineItem => ({
  held: 'request',
  agent: 'bot',
  sessionId: 's1',
  backend: 'files',
  method: 'tools/call',
  tool: 'delete_file',
  reason: 'quarantined',
  callSha256: 'a'.repeat(64),
  findings: [{ source: 'approval', id: 'approval.require[0]', action: 'quarantine' }],
  payload: '{"name":"files__delete_file","arguments":{"path":"/tmp/x"}}',
  heldStage: 'check-approval',
  ...overrides,
});

const by = (reviewer = 'alice', reason: string | null = 'ok', expiryMs = EXPIRY_MS) => ({ reviewer, reason, expiryMs });

describe('quarantine store: hold', () => {
  it('fills a random id, the creation time, pending status and empty decision fields', () => {
    const { store } = open();
    const held = store.hold(item());
    expect(held.id).toMatch(/^q_[0-9a-f]{24}$/);
    expect(held).toEqual({
      ...item(),
      id: held.id,
      createdAt: T0,
      status: 'pending',
      decidedAt: null,
      decidedBy: null,
      decisionReason: null,
      usedAt: null,
    });
    expect(store.get(held.id)).toEqual(held);
    expect(store.hold(item()).id).not.toBe(held.id);
  });

  it('stores nullable fields as null and a held response as such', () => {
    const { store } = open();
    const held = store.hold(item({ held: 'response', sessionId: null, backend: null, tool: null, payload: null, findings: [] }));
    expect(store.get(held.id)).toMatchObject({ held: 'response', sessionId: null, backend: null, tool: null, payload: null, findings: [] });
  });

  it('keeps held items across a reopen of the database file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-quarantine-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const db = openDatabase(path, { backgroundCheckpoints: false });
    const store = createQuarantineStore(db, () => T0);
    const pending = store.hold(item());
    const approved = store.hold(item({ agent: 'other' }));
    expect(store.decide(approved.id, 'approved', by('alice', 'fine')).ok).toBe(true);
    db.close();

    const reopened = openDatabase(path, { backgroundCheckpoints: false });
    dbs.push(reopened);
    const again = createQuarantineStore(reopened, () => T0 + 1);
    expect(again.get(pending.id)).toEqual(pending);
    expect(again.get(approved.id)).toMatchObject({ status: 'approved', decidedAt: T0, decidedBy: 'alice', decisionReason: 'fine' });
    expect(again.countPending('bot')).toBe(1);
    expect(again.findApproved(item().callSha256, 'other', 1_000)?.id).toBe(approved.id);
  });
});

describe('quarantine store: decide', () => {
  it.each(['approved', 'rejected'] as const)('%s: sets status, time, reviewer and reason', (decision) => {
    const { store, clock } = open();
    const held = store.hold(item());
    clock.now = T0 + 500;
    const result = store.decide(held.id, decision, by('alice', 'checked the path'));
    const expected = { ...held, status: decision, decidedAt: T0 + 500, decidedBy: 'alice', decisionReason: 'checked the path' };
    expect(result).toEqual({ ok: true, record: expected });
    expect(store.get(held.id)).toEqual(expected);
  });

  it('keeps a null reason null', () => {
    const { store } = open();
    const held = store.hold(item());
    expect(store.decide(held.id, 'rejected', by('alice', null))).toMatchObject({ ok: true, record: { decisionReason: null } });
  });

  it('refuses a second decision (not_pending) and leaves the first one standing', () => {
    const { store, clock } = open();
    const held = store.hold(item());
    clock.now = T0 + 1;
    store.decide(held.id, 'approved', by('alice', 'first'));
    clock.now = T0 + 2;
    const second = store.decide(held.id, 'rejected', by('bob', 'second'));
    const first = { ...held, status: 'approved', decidedAt: T0 + 1, decidedBy: 'alice', decisionReason: 'first' };
    expect(second).toEqual({ ok: false, why: 'not_pending', record: first });
    expect(store.get(held.id)).toEqual(first);
  });

  it('answers not_found for an unknown id', () => {
    const { store } = open();
    expect(store.decide('q_000000000000000000000000', 'approved', by())).toEqual({ ok: false, why: 'not_found' });
  });

  it('expires instead of deciding an item held longer than expiryMs', () => {
    const { store, clock } = open();
    const held = store.hold(item());
    clock.now = T0 + EXPIRY_MS + 1;
    const result = store.decide(held.id, 'approved', by());
    const expired = { ...held, status: 'expired', decidedAt: T0 + EXPIRY_MS + 1, decidedBy: null, decisionReason: null };
    expect(result).toEqual({ ok: false, why: 'expired', record: expired });
    expect(store.get(held.id)).toEqual(expired);
    // Once expired, it stays expired.
    expect(store.decide(held.id, 'approved', by())).toMatchObject({ ok: false, why: 'expired', record: { status: 'expired' } });
  });

  it('still decides an item held exactly expiryMs', () => {
    const { store, clock } = open();
    const held = store.hold(item());
    clock.now = T0 + EXPIRY_MS;
    expect(store.decide(held.id, 'approved', by())).toMatchObject({ ok: true, record: { status: 'approved' } });
  });

  it('does not expire a decided item on a later decide', () => {
    const { store, clock } = open();
    const held = store.hold(item());
    store.decide(held.id, 'rejected', by());
    clock.now = T0 + EXPIRY_MS * 5;
    expect(store.decide(held.id, 'approved', by())).toMatchObject({ ok: false, why: 'not_pending', record: { status: 'rejected' } });
  });
});

describe('quarantine store: expireStale', () => {
  it('expires only pending items older than the cut, and counts them', () => {
    const { store, clock } = open();
    const old1 = store.hold(item());
    const old2 = store.hold(item({ agent: 'other' }));
    const oldApproved = store.hold(item());
    const oldRejected = store.hold(item());
    store.decide(oldApproved.id, 'approved', by());
    store.decide(oldRejected.id, 'rejected', by());
    clock.now = T0 + 5_000;
    const young = store.hold(item());
    clock.now = T0 + EXPIRY_MS + 1; // old ones are EXPIRY_MS + 1 old; young one is EXPIRY_MS - 4_999

    expect(store.expireStale(EXPIRY_MS)).toBe(2);
    expect(store.get(old1.id)).toMatchObject({ status: 'expired', decidedAt: T0 + EXPIRY_MS + 1, decidedBy: null });
    expect(store.get(old2.id)?.status).toBe('expired');
    expect(store.get(oldApproved.id)).toMatchObject({ status: 'approved', decidedAt: T0, decidedBy: 'alice' });
    expect(store.get(oldRejected.id)).toMatchObject({ status: 'rejected', decidedAt: T0 });
    expect(store.get(young.id)?.status).toBe('pending');
    // Nothing left to expire.
    expect(store.expireStale(EXPIRY_MS)).toBe(0);
  });

  it('leaves an item exactly at the cut pending', () => {
    const { store, clock } = open();
    const held = store.hold(item());
    clock.now = T0 + EXPIRY_MS;
    expect(store.expireStale(EXPIRY_MS)).toBe(0);
    expect(store.get(held.id)?.status).toBe('pending');
  });
});

describe('quarantine store: findApproved and claim', () => {
  const HASH = 'b'.repeat(64);
  const TTL = 1_000;

  it('finds an unused approval of the same agent and hash decided within the ttl', () => {
    const { store, clock } = open();
    const held = store.hold(item({ callSha256: HASH }));
    clock.now = T0 + 100;
    store.decide(held.id, 'approved', by());
    clock.now = T0 + 100 + TTL; // exactly at the ttl: still valid
    expect(store.findApproved(HASH, 'bot', TTL)).toEqual({
      ...held,
      status: 'approved',
      decidedAt: T0 + 100,
      decidedBy: 'alice',
      decisionReason: 'ok',
    });
    clock.now = T0 + 100 + TTL + 1;
    expect(store.findApproved(HASH, 'bot', TTL)).toBeUndefined();
  });

  it('does not find another agent’s, another call’s, a rejected, a pending or a used approval', () => {
    const { store } = open();
    const approved = store.hold(item({ callSha256: HASH }));
    const rejected = store.hold(item({ callSha256: 'c'.repeat(64) }));
    store.hold(item({ callSha256: 'd'.repeat(64) }));
    store.decide(approved.id, 'approved', by());
    store.decide(rejected.id, 'rejected', by());

    expect(store.findApproved(HASH, 'bot', TTL)?.id).toBe(approved.id);
    expect(store.findApproved(HASH, 'other', TTL)).toBeUndefined();
    expect(store.findApproved('e'.repeat(64), 'bot', TTL)).toBeUndefined();
    expect(store.findApproved('c'.repeat(64), 'bot', TTL)).toBeUndefined();
    expect(store.findApproved('d'.repeat(64), 'bot', TTL)).toBeUndefined();

    expect(store.claim(approved.id)).toBe(true);
    expect(store.findApproved(HASH, 'bot', TTL)).toBeUndefined();
  });

  it('returns the newest of several approvals of one call', () => {
    const { store, clock } = open();
    const first = store.hold(item({ callSha256: HASH }));
    const second = store.hold(item({ callSha256: HASH }));
    clock.now = T0 + 10;
    store.decide(second.id, 'approved', by());
    clock.now = T0 + 20;
    store.decide(first.id, 'approved', by());
    expect(store.findApproved(HASH, 'bot', TTL)?.id).toBe(first.id);
    store.claim(first.id);
    expect(store.findApproved(HASH, 'bot', TTL)?.id).toBe(second.id);
  });

  it('claims exactly once and records when', () => {
    const { store, clock } = open();
    const held = store.hold(item({ callSha256: HASH }));
    store.decide(held.id, 'approved', by());
    clock.now = T0 + 42;
    expect(store.claim(held.id)).toBe(true);
    clock.now = T0 + 43;
    expect(store.claim(held.id)).toBe(false);
    expect(store.get(held.id)?.usedAt).toBe(T0 + 42);
    expect(store.claim('q_000000000000000000000000')).toBe(false);
  });
});

describe('quarantine store: countPending and list', () => {
  it('counts only pending items of the agent', () => {
    const { store, clock } = open();
    const a = store.hold(item());
    store.hold(item());
    store.hold(item({ agent: 'other' }));
    expect(store.countPending('bot')).toBe(2);
    expect(store.countPending('other')).toBe(1);
    expect(store.countPending('nobody')).toBe(0);
    store.decide(a.id, 'approved', by());
    expect(store.countPending('bot')).toBe(1);
    clock.now = T0 + EXPIRY_MS + 1;
    store.expireStale(EXPIRY_MS);
    expect(store.countPending('bot')).toBe(0);
  });

  it('lists newest first, by status, at most limit', () => {
    const { store, clock } = open();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      clock.now = T0 + i * 10;
      ids.push(store.hold(item({ tool: `t${i}` })).id);
    }
    store.decide(ids[1] as string, 'approved', by());
    store.decide(ids[3] as string, 'rejected', by());

    expect(store.list().map((r) => r.id)).toEqual([...ids].reverse());
    expect(store.list({ limit: 2 }).map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect(store.list({ status: 'pending' }).map((r) => r.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect(store.list({ status: 'pending', limit: 1 }).map((r) => r.id)).toEqual([ids[4]]);
    expect(store.list({ status: 'approved' }).map((r) => r.id)).toEqual([ids[1]]);
    expect(store.list({ status: 'rejected' }).map((r) => r.id)).toEqual([ids[3]]);
    expect(store.list({ status: 'expired' })).toEqual([]);
    expect(store.list({ status: 'approved' })[0]).toEqual(store.get(ids[1] as string));
  });
});
