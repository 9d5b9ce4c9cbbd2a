import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteAuditLog } from './audit-log.js';
import { capUtf8 } from './audit-row.js';
import type { SqliteAuditLog } from './audit-log.js';
import { StoreError } from './errors.js';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import type { AuditKind, AuditRecord } from './types.js';

let dir: string;
let db: Database;
let log: SqliteAuditLog;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-'));
  db = openDatabase(join(dir, 'audit.db'));
  log = createSqliteAuditLog(db, { maxPayloadBytes: 65_536 });
});
afterEach(async () => {
  await log.close();
  if (db.sqlite.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const base: AuditRecord = {
  ts: 1_000,
  kind: 'request',
  method: 'tools/call',
  decision: 'allow',
  forwarded: true,
  mode: 'enforce',
};
const record = (fields: Partial<AuditRecord> = {}): AuditRecord => ({ ...base, ...fields });
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const rejection = async (promise: Promise<unknown>): Promise<StoreError> => {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
};

describe('append and query', () => {
  it('round-trips every field', async () => {
    const full: AuditRecord = {
      ts: 1_717_000_000_123,
      kind: 'request',
      sessionId: 'sess-1',
      agent: 'research-bot',
      verified: true,
      source: '127.0.0.1',
      backend: 'files',
      method: 'tools/call',
      tool: 'read_file',
      requestId: '7',
      decision: 'deny',
      reason: 'rule_blocked',
      detail: 'PI-001 matched',
      errorCode: -32084,
      forwarded: false,
      mode: 'observe',
      findings: [{ rule: 'PI-001', pointer: '/params/arguments/text', start: 3, end: 9 }],
      stages: [{ stage: 'scan-rules', outcome: 'deny', reason: 'rule_blocked', ms: 0.25 }],
      latencyMs: 1.5,
      payload: { request: { jsonrpc: '2.0', id: 7, method: 'tools/call' } },
    };
    await log.append(full);
    const [row] = log.query({});
    const payloadText = JSON.stringify(full.payload);
    expect(row).toEqual({
      ...full,
      id: 1,
      findings: full.findings,
      stages: full.stages,
      payload: payloadText,
      payloadSha256: sha256(payloadText),
      payloadTruncated: false,
    });
  });

  it('fills defaults for optional fields', async () => {
    await log.append(record());
    expect(log.query({})[0]).toMatchObject({
      sessionId: null,
      agent: null,
      verified: false,
      source: null,
      backend: null,
      tool: null,
      requestId: null,
      reason: null,
      detail: null,
      errorCode: null,
      findings: [],
      stages: [],
      latencyMs: null,
      payload: null,
      payloadSha256: null,
      payloadTruncated: false,
    });
  });

  it('resolves only once the row is committed (visible to another connection)', async () => {
    await log.append(record({ requestId: 'seen' }));
    const other = new BetterSqlite3(db.path, { readonly: true });
    try {
      expect(other.prepare('SELECT request_id FROM audit_log').all()).toEqual([{ request_id: 'seen' }]);
    } finally {
      other.close();
    }
  });
});

describe('batching', () => {
  it('writes all appends of one turn in one transaction', async () => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(record({ ts: i }))));
    expect(log.stats()).toMatchObject({ committedBatches: 1, committedRows: 500, queuedRows: 0 });
    for (let turn = 0; turn < 3; turn += 1) await log.append(record());
    expect(log.stats()).toMatchObject({ committedBatches: 4, committedRows: 503 });
  });

  it('rejects every append of a failed batch and keeps working for the next one', async () => {
    const onError = vi.fn();
    log = createSqliteAuditLog(db, { maxPayloadBytes: 1_024, onError });
    // The CHECK constraint refuses the bad kind, which fails the whole transaction.
    const good = log.append(record({ requestId: 'good' }));
    const bad = log.append(record({ kind: 'bogus' as AuditKind }));
    expect((await rejection(good)).code).toBe('audit_write_failed');
    expect((await rejection(bad)).code).toBe('audit_write_failed');
    expect(onError).toHaveBeenCalledTimes(1);
    await log.append(record({ requestId: 'later' }));
    expect(log.query({}).map((row) => row.requestId)).toEqual(['later']);
    expect(log.stats()).toMatchObject({ failedBatches: 1, committedBatches: 1 });
  });

  it('rejects when the database is gone', async () => {
    db.close();
    expect((await rejection(log.append(record()))).code).toBe('audit_write_failed');
  });

  it('rejects at once beyond the queue bound', async () => {
    log = createSqliteAuditLog(db, { maxPayloadBytes: 1_024, maxQueuedRows: 3 });
    const queued = [1, 2, 3].map(() => log.append(record()));
    expect((await rejection(log.append(record()))).code).toBe('audit_queue_full');
    await Promise.all(queued);
    await log.append(record());
    expect(log.query({})).toHaveLength(4);
  });

  it('rejects a row that is not JSON without failing its batch', async () => {
    const fine = log.append(record());
    expect((await rejection(log.append(record({ payload: { n: 1n } })))).code).toBe('audit_unserializable');
    await fine;
    expect(log.query({})).toHaveLength(1);
  });

  it('flush commits what is queued; close flushes and refuses later appends', async () => {
    const first = log.append(record({ requestId: 'a' }));
    await log.flush();
    expect(log.query({})).toHaveLength(1);
    const second = log.append(record({ requestId: 'b' }));
    await log.close();
    await Promise.all([first, second]);
    expect(log.query({}).map((row) => row.requestId)).toEqual(['a', 'b']);
    const err = await rejection(log.append(record()));
    expect(err.code).toBe('audit_closed');
  });
});

describe('payload', () => {
  it.each([
    ['ASCII', 'a'.repeat(100), 20],
    ['2-byte', 'é'.repeat(100), 21],
    ['3-byte', '漢'.repeat(100), 22],
    ['4-byte (surrogate pairs)', '😀'.repeat(100), 23],
  ])('caps %s text at the byte limit without splitting a character; hashes it whole', async (_name, text, max) => {
    log = createSqliteAuditLog(db, { maxPayloadBytes: max });
    await log.append(record({ payload: { text } }));
    const [row] = log.query({});
    const full = JSON.stringify({ text });
    expect(row?.payloadTruncated).toBe(true);
    expect(Buffer.byteLength(row?.payload ?? '', 'utf8')).toBeLessThanOrEqual(max);
    expect(Buffer.byteLength(row?.payload ?? '', 'utf8')).toBeGreaterThan(max - 4);
    expect(full.startsWith(row?.payload ?? 'x')).toBe(true);
    expect(row?.payloadSha256).toBe(sha256(full));
  });

  it('stores a payload that fits whole', async () => {
    const payload = { text: 'é'.repeat(10) };
    const full = JSON.stringify(payload);
    log = createSqliteAuditLog(db, { maxPayloadBytes: Buffer.byteLength(full) });
    await log.append(record({ payload }));
    expect(log.query({})[0]).toMatchObject({ payload: full, payloadTruncated: false, payloadSha256: sha256(full) });
  });

  it('capUtf8 keeps the longest whole-character prefix at every cut', () => {
    const text = 'aé漢😀b'.repeat(3);
    const size = Buffer.byteLength(text);
    for (let max = 0; max <= size + 1; max += 1) {
      const { text: cut, truncated } = capUtf8(text, max);
      const bytes = Buffer.byteLength(cut);
      expect(text.startsWith(cut)).toBe(true);
      expect(bytes).toBeLessThanOrEqual(max);
      expect(truncated).toBe(max < size);
      if (truncated) {
        // Maximal: the next whole character would not have fitted.
        const next = String.fromCodePoint(text.codePointAt(cut.length) ?? 0);
        expect(bytes + Buffer.byteLength(next)).toBeGreaterThan(max);
      }
    }
  });
});
