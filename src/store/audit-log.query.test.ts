import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditQuery, createSqliteAuditLog, MAX_QUERY_LIMIT } from './audit-log.js';
import type { SqliteAuditLog } from './audit-log.js';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import type { AuditQuery, AuditRecord } from './types.js';

let dir: string;
let db: Database;
let log: SqliteAuditLog;

const row = (requestId: string, ts: number, fields: Partial<AuditRecord>): AuditRecord => ({
  ts,
  requestId,
  kind: 'request',
  method: 'tools/call',
  decision: 'allow',
  forwarded: true,
  mode: 'enforce',
  ...fields,
});

// r5 is appended after r6 to show that "newest" and the order follow ts, not insertion.
const rows: AuditRecord[] = [
  row('r1', 1_000, { agent: 'a', backend: 'files', tool: 'read_file' }),
  row('r2', 2_000, { agent: 'b', decision: 'deny', backend: 'files', tool: 'delete_file' }),
  row('r3', 3_000, { agent: 'a', decision: 'deny', backend: 'everything', tool: 'echo' }),
  row('r4', 4_000, { agent: 'a', backend: 'files', method: 'resources/read', tool: 'file:///srv/x' }),
  row('r6', 6_000, { agent: 'b', decision: 'quarantine', backend: 'everything', tool: 'read_file' }),
  row('r5', 5_000, { kind: 'event', method: 'config.reload', decision: 'event', forwarded: false }),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-query-'));
  db = openDatabase(join(dir, 'audit.db'));
  log = createSqliteAuditLog(db, { maxPayloadBytes: 1_024 });
  await Promise.all(rows.map((r) => log.append(r)));
});
afterAll(async () => {
  await log.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('query', () => {
  it.each<[string, AuditQuery, string[]]>([
    ['no filter', {}, ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']],
    ['agent', { agent: 'a' }, ['r1', 'r3', 'r4']],
    ['decision', { decision: 'deny' }, ['r2', 'r3']],
    ['backend', { backend: 'files' }, ['r1', 'r2', 'r4']],
    ['bare tool name', { tool: 'read_file' }, ['r1', 'r6']],
    ['backend/tool', { tool: 'files/read_file' }, ['r1']],
    ['other backend/tool', { tool: 'everything/read_file' }, ['r6']],
    ['resource URI', { tool: 'file:///srv/x' }, ['r4']],
    ['backend/resource URI', { tool: 'files/file:///srv/x' }, ['r4']],
    ['since (inclusive)', { since: 3_000 }, ['r3', 'r4', 'r5', 'r6']],
    ['combined', { agent: 'a', decision: 'allow', since: 2_000 }, ['r4']],
    ['backend and bare tool', { backend: 'everything', tool: 'read_file' }, ['r6']],
    ['newest N, oldest first', { limit: 2 }, ['r5', 'r6']],
    ['limit with a filter', { agent: 'b', limit: 1 }, ['r6']],
    ['no match', { agent: 'nobody' }, []],
    ['values are bound, not spliced', { tool: "x' OR 1=1 --" }, []],
  ])('%s', (_name, filter, expected) => {
    expect(log.query(filter).map((r) => r.requestId)).toEqual(expected);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses limit %s', (limit) => {
    expect(() => log.query({ limit })).toThrow(RangeError);
  });

  it(`caps limit at ${MAX_QUERY_LIMIT}`, async () => {
    await Promise.all(
      Array.from({ length: MAX_QUERY_LIMIT + 1 }, (_, i) => log.append(row(`bulk${i}`, 10_000 + i, {}))),
    );
    const result = log.query({ limit: MAX_QUERY_LIMIT * 2 });
    expect(result).toHaveLength(MAX_QUERY_LIMIT);
    expect(result.at(-1)?.requestId).toBe(`bulk${MAX_QUERY_LIMIT}`);
    expect(log.query({}).length).toBe(100);
  });
});

describe('query plan', () => {
  // A dropped or mistyped index turns `portcullis logs` into a full scan of a month of rows.
  it.each<[AuditQuery, string]>([
    [{}, 'SCAN audit_log USING INDEX audit_log_ts_idx'],
    [{ since: 1 }, 'SEARCH audit_log USING INDEX audit_log_ts_idx (ts>?)'],
    [{ agent: 'a' }, 'SEARCH audit_log USING INDEX audit_log_agent_ts_idx (agent=?)'],
    [{ agent: 'a', since: 1 }, 'SEARCH audit_log USING INDEX audit_log_agent_ts_idx (agent=? AND ts>?)'],
    [{ decision: 'deny' }, 'SEARCH audit_log USING INDEX audit_log_decision_ts_idx (decision=?)'],
    [{ tool: 'files/read_file' }, 'SEARCH audit_log USING INDEX audit_log_backend_tool_ts_idx (backend=? AND tool=?)'],
    [{ backend: 'files' }, 'SCAN audit_log USING INDEX audit_log_ts_idx'],
    [
      { backend: 'files', tool: 'read_file' },
      'SEARCH audit_log USING INDEX audit_log_backend_tool_ts_idx (backend=? AND tool=?)',
    ],
    [{ tool: 'read_file' }, 'SCAN audit_log USING INDEX audit_log_ts_idx'],
  ])('%j uses %s', (filter, plan) => {
    const { sql, params } = buildAuditQuery(db, filter).toSQL();
    const rows = db.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    expect(rows.map((r) => r.detail)).toEqual([plan]);
  });
});
