import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSqliteAuditLog } from './audit-log.js';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import type { AuditRecord } from './types.js';

// The budget (DESIGN.md §6) is 50,000 rows/s and is checked by the benchmark; this only catches a gross regression.
const ROWS = 20_000;
const LOOSE_FLOOR_ROWS_PER_S = 5_000;

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-rate-'));
  db = openDatabase(join(dir, 'audit.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A realistic row whose payload JSON is about 1 KiB. */
function sample(i: number): AuditRecord {
  return {
    ts: Date.now(),
    kind: 'request',
    sessionId: 'session-0001',
    agent: 'research-bot',
    verified: true,
    source: '127.0.0.1',
    backend: 'files',
    method: 'tools/call',
    tool: 'read_file',
    requestId: String(i),
    decision: 'allow',
    forwarded: true,
    mode: 'enforce',
    stages: [{ stage: 'check-acl', outcome: 'continue', ms: 0.01 }],
    latencyMs: 0.8,
    payload: {
      jsonrpc: '2.0',
      id: i,
      method: 'tools/call',
      params: { name: 'read_file', arguments: { text: 'x'.repeat(960) } },
    },
  };
}

it.each([
  ['one turn', ROWS],
  ['sustained, 256 rows a turn', 256],
])(`appends ${ROWS} rows of 1 KiB (%s)`, async (name, perTurn) => {
  const log = createSqliteAuditLog(db, { maxPayloadBytes: 65_536 });
  const started = performance.now();
  for (let done = 0; done < ROWS; done += perTurn) {
    const count = Math.min(perTurn, ROWS - done);
    await Promise.all(Array.from({ length: count }, (_, k) => log.append(sample(done + k))));
  }
  const rate = ROWS / ((performance.now() - started) / 1_000);
  console.log(`audit append (${name}): ${Math.round(rate).toLocaleString('en-US')} rows/s`);
  expect(log.stats().committedRows).toBe(ROWS);
  expect(rate).toBeGreaterThan(LOOSE_FLOOR_ROWS_PER_S);
  await log.close();
});
