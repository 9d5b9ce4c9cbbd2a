import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { findMigrationsFolder, openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import { auditLog } from './schema.js';

let dir: string;
const opened: Database[] = [];
const open = (path: string): Database => {
  const db = openDatabase(path);
  opened.push(db);
  return db;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
});
afterEach(() => {
  for (const db of opened.splice(0)) if (db.sqlite.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;
const row = { ts: 1, kind: 'event', method: 'test', decision: 'event', forwarded: false, mode: 'enforce' } as const;

describe('openDatabase', () => {
  it('creates the directory 0700 and the database, -wal and -shm 0600', () => {
    const path = join(dir, 'nested', 'data', 'portcullis.db');
    const db = open(path);
    db.orm.insert(auditLog).values(row).run();
    expect(mode(join(dir, 'nested', 'data'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
  });

  it('tightens the mode of an existing database file', () => {
    const path = join(dir, 'loose.db');
    open(path).close();
    // As if restored from a backup with a permissive umask.
    chmodSync(path, 0o644);
    open(path);
    expect(mode(path)).toBe(0o600);
  });

  it.each([
    ['journal_mode', 'wal'],
    ['synchronous', 1], // NORMAL
    ['busy_timeout', 5000],
    ['foreign_keys', 1],
    ['journal_size_limit', 64 * 1024 * 1024],
    ['wal_autocheckpoint', 16_000], // a backstop: the checkpoint worker does the work
  ])('sets %s', (pragma, expected) => {
    const db = open(join(dir, 'p.db'));
    expect(db.sqlite.pragma(pragma, { simple: true })).toBe(expected);
  });

  it('applies migrations once and keeps data on reopen', () => {
    const path = join(dir, 'm.db');
    const first = open(path);
    first.orm.insert(auditLog).values(row).run();
    first.close();
    const second = open(path);
    const journal = JSON.parse(readFileSync(join(findMigrationsFolder(), 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    const applied = second.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    expect(applied.n).toBe(journal.entries.length);
    expect(second.orm.select().from(auditLog).all()).toHaveLength(1);
  });

  it('leaves checkpoints to the writer when asked to', () => {
    const db = openDatabase(join(dir, 'plain.db'), { backgroundCheckpoints: false });
    opened.push(db);
    expect(db.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
  });

  it('works in memory for tests', () => {
    const db = open(':memory:');
    db.orm.insert(auditLog).values(row).run();
    expect(db.orm.select().from(auditLog).all()).toHaveLength(1);
  });

  it.each([
    ['a file that is not a database', 'store_not_a_database', (): string => writeJunk('junk.db')],
    ['a path under a regular file', 'store_not_writable', (): string => join(writeJunk('plain'), 'x.db')],
    ['a directory', 'store_not_writable', (): string => dir],
  ])('refuses %s with a typed error', (_name, code, makePath) => {
    const path = makePath();
    let caught: unknown;
    try {
      open(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).code).toBe(code);
    expect((caught as StoreError).message).toContain(path);
  });
});

function writeJunk(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, 'this is not an SQLite file, just some text that is long enough to have a header'.repeat(20));
  return path;
}
