import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type InboxLimits, type MessageStore, type NewMessage, createMessageStore } from './message-store.js';
import { type Database, openDatabase } from './open-database.js';

const LIMITS: InboxLimits = { ttlMs: 1_000, maxPerInbox: 3 };
const T0 = 1_700_000_000_000;

const dbs: Database[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(): { db: Database; store: MessageStore } {
  const db = openDatabase(':memory:');
  dbs.push(db);
  return { db, store: createMessageStore(db) };
}

const note = (to: string, content: unknown = 'hi', from = 'alice'): NewMessage => ({
  sender: from,
  recipient: to,
  content,
  metadata: null,
});

/** Adds and publishes; returns the id. */
function deliver(store: MessageStore, message: NewMessage, now = T0, limits = LIMITS): number {
  const added = store.addPending(message, limits, now);
  if (!added.ok) throw new Error(`inbox full: ${JSON.stringify(added)}`);
  store.publish(added.id);
  return added.id;
}

const ids = (store: MessageStore, to: string, after = 0, limit = 100, now = T0): number[] =>
  store.read(to, after, limit, now).map((m) => m.id);

describe('message store', () => {
  it('round-trips any JSON content and metadata, with created and expiry times', () => {
    const { store } = open();
    const limits = { ...LIMITS, maxPerInbox: 10 };
    const contents: unknown[] = [null, 'text', 0, false, [1, { a: 'b' }], { nested: { deep: [null] } }];
    for (const content of contents) deliver(store, note('bob', content), T0, limits);
    const read = store.read('bob', 0, 100, T0);
    expect(read.map((m) => m.content)).toEqual(contents);
    expect(read[0]).toMatchObject({
      sender: 'alice',
      recipient: 'bob',
      metadata: null,
      createdAt: T0,
      expiresAt: T0 + 1_000,
    });
    deliver(store, { ...note('carol'), metadata: { thread: 't1', n: 2 } });
    expect(store.read('carol', 0, 100, T0)[0]?.metadata).toEqual({ thread: 't1', n: 2 });
  });

  it('reads only the recipient’s own messages, oldest first, without deleting them', () => {
    const { store } = open();
    const a = deliver(store, note('bob', 1));
    deliver(store, note('carol', 2));
    const b = deliver(store, note('bob', 3, 'carol'));
    expect(ids(store, 'bob')).toEqual([a, b]);
    expect(ids(store, 'bob')).toEqual([a, b]);
    expect(ids(store, 'alice')).toEqual([]);
  });

  it('pages by cursor: ids after the cursor, at most the limit', () => {
    const { store } = open();
    const limits = { ...LIMITS, maxPerInbox: 10 };
    const all = Array.from({ length: 5 }, (_, i) => deliver(store, note('bob', i), T0, limits));
    expect(ids(store, 'bob', 0, 2)).toEqual(all.slice(0, 2));
    expect(ids(store, 'bob', all[1], 2)).toEqual(all.slice(2, 4));
    expect(ids(store, 'bob', all[3], 2)).toEqual(all.slice(4));
    expect(ids(store, 'bob', all[4], 2)).toEqual([]);
    expect(ids(store, 'bob', Number.MAX_SAFE_INTEGER, 2)).toEqual([]);
  });

  it('bounds each inbox: a full one refuses with the wait until its first message expires', () => {
    const { store } = open();
    deliver(store, note('bob'), T0);
    deliver(store, note('bob'), T0 + 100);
    deliver(store, note('bob'), T0 + 200);
    expect(store.addPending(note('bob'), LIMITS, T0 + 300)).toEqual({
      ok: false,
      cause: 'inbox_full',
      held: 3,
      retryAfterMs: 700,
    });
    // Another inbox is not affected.
    expect(store.addPending(note('carol'), LIMITS, T0 + 300).ok).toBe(true);
    // Once the first expires, there is room for one.
    expect(store.addPending(note('bob'), LIMITS, T0 + 1_000).ok).toBe(true);
    expect(store.addPending(note('bob'), LIMITS, T0 + 1_000).ok).toBe(false);
  });

  it('counts pending messages against the bound, but never shows them', () => {
    const { store } = open();
    const first = store.addPending(note('bob'), LIMITS, T0);
    if (!first.ok) throw new Error('refused');
    store.addPending(note('bob'), LIMITS, T0);
    store.addPending(note('bob'), LIMITS, T0);
    expect(store.addPending(note('bob'), LIMITS, T0).ok).toBe(false);
    expect(ids(store, 'bob')).toEqual([]);
    store.publish(first.id);
    expect(ids(store, 'bob')).toEqual([first.id]);
  });

  it('a discarded message is never shown and frees its slot', () => {
    const { store } = open();
    const added = store.addPending(note('bob'), { ...LIMITS, maxPerInbox: 1 }, T0);
    if (!added.ok) throw new Error('refused');
    store.discard(added.id);
    store.publish(added.id);
    expect(ids(store, 'bob')).toEqual([]);
    expect(store.addPending(note('bob'), { ...LIMITS, maxPerInbox: 1 }, T0).ok).toBe(true);
  });

  it('ends a page before a pending message, so a cursor never skips one that is about to appear', () => {
    const { store } = open();
    const a = deliver(store, note('bob', 'a'));
    const pending = store.addPending(note('bob', 'b'), LIMITS, T0);
    if (!pending.ok) throw new Error('refused');
    const c = deliver(store, note('bob', 'c'));
    expect(ids(store, 'bob')).toEqual([a]);
    store.publish(pending.id);
    expect(ids(store, 'bob', a)).toEqual([pending.id, c]);
  });

  it('hides expired messages at once and prunes them, including pending ones past their expiry', () => {
    const { db, store } = open();
    deliver(store, note('bob'), T0);
    const later = deliver(store, note('bob'), T0 + 500);
    store.addPending(note('carol'), LIMITS, T0);
    expect(ids(store, 'bob', 0, 100, T0 + 1_000)).toEqual([later]);
    expect(store.pruneExpired(T0 + 1_000)).toBe(2);
    expect(db.sqlite.prepare('SELECT id FROM messages').all()).toEqual([{ id: later }]);
  });

  it('prunes in bounded amounts', () => {
    const { db, store } = open();
    const limits = { ttlMs: 10, maxPerInbox: 100 };
    for (let i = 0; i < 50; i++) deliver(store, note(`agent-${i % 5}`), T0, limits);
    expect(store.pruneExpired(T0 + 10, 20)).toBe(20);
    expect(store.pruneExpired(T0 + 10, 20)).toBe(20);
    expect(store.pruneExpired(T0 + 10)).toBe(10);
    expect(db.sqlite.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });

  it('prunes some expired messages on every write, so a busy gateway needs no sweep to stay bounded', () => {
    const { db, store } = open();
    const limits = { ttlMs: 10, maxPerInbox: 100 };
    for (let i = 0; i < 10; i++) deliver(store, note('bob'), T0, limits);
    deliver(store, note('carol'), T0 + 10, limits);
    expect(db.sqlite.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 1 });
  });

  it('removes pending messages of a previous process at start: they were never audited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-messages-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const first = openDatabase(path, { backgroundCheckpoints: false });
    const before = createMessageStore(first);
    const kept = deliver(before, note('bob'), Date.now());
    before.addPending(note('bob'), LIMITS, Date.now());
    first.close();
    const second = openDatabase(path, { backgroundCheckpoints: false });
    dbs.push(second);
    const after = createMessageStore(second);
    expect(second.sqlite.prepare('SELECT id FROM messages').all()).toEqual([{ id: kept }]);
    expect(after.read('bob', 0, 100, Date.now()).map((m) => m.id)).toEqual([kept]);
  });
});
