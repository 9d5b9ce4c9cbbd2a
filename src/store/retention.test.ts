import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import { PRUNE_CHUNK_ROWS, pruneAudit } from './retention.js';
import { auditLog } from './schema.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2025, 5, 30);
let db: Database;

beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => {
  db.close();
});

function insertRows(count: number, ts: number): void {
  const insert = db.sqlite.prepare(
    `INSERT INTO audit_log (ts, kind, method, decision, forwarded, mode) VALUES (?, 'event', 'test', 'event', 0, 'enforce')`,
  );
  db.sqlite.transaction(() => {
    for (let i = 0; i < count; i += 1) insert.run(ts);
  })();
}

const remaining = (): number[] =>
  db.orm
    .select({ ts: auditLog.ts })
    .from(auditLog)
    .all()
    .map((row) => row.ts);

it.each([
  ['nothing old', [], 0],
  ['one row just past the cutoff', [NOW - 30 * DAY_MS - 1], 1],
  ['a row exactly at the cutoff is kept', [NOW - 30 * DAY_MS], 0],
  ['mixed', [NOW - 90 * DAY_MS, NOW - 31 * DAY_MS, NOW - 29 * DAY_MS, NOW], 2],
])('deletes rows older than the retention period: %s', (_name, stamps, deleted) => {
  for (const ts of stamps) insertRows(1, ts);
  expect(pruneAudit(db, 30, NOW)).toBe(deleted);
  expect(remaining()).toEqual(stamps.filter((ts) => ts >= NOW - 30 * DAY_MS));
});

it('deletes in several chunks and counts them all', () => {
  const old = PRUNE_CHUNK_ROWS * 2 + 17;
  insertRows(old, NOW - 40 * DAY_MS);
  insertRows(5, NOW - DAY_MS);
  expect(pruneAudit(db, 30, NOW)).toBe(old);
  expect(remaining()).toHaveLength(5);
});

it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses retentionDays %s', (days) => {
  insertRows(1, 0);
  expect(() => pruneAudit(db, days, NOW)).toThrow(RangeError);
  expect(remaining()).toHaveLength(1);
});
