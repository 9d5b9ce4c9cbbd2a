/**
 * Audit throughput, in process: the gateway's own SQLite audit log (src/store) on a fresh temporary database,
 * appending rows with 1 KiB payloads in event-loop batches, as the gateway's concurrent calls produce them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteAuditLog } from '../src/store/audit-log.js';
import { openDatabase } from '../src/store/open-database.js';
import type { AuditRecord } from '../src/store/types.js';

export interface AuditResult {
  readonly rows: number;
  /** Appends issued in one event-loop turn (the audit log commits one transaction per turn). */
  readonly rowsPerTurn: number;
  readonly payloadBytes: number;
  readonly rowsPerSecond: number;
}

const PAYLOAD_BYTES = 1_024;

/** Appends `rows` rows, `rowsPerTurn` at a time, and reports committed rows per second. */
export async function measureAuditThroughput(rows: number, rowsPerTurn: number): Promise<AuditResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-audit-'));
  const db = openDatabase(join(dir, 'audit.db'));
  try {
    const log = createSqliteAuditLog(db, { maxPayloadBytes: 65_536 });
    const filler = 'x'.repeat(PAYLOAD_BYTES - JSON.stringify(payload(0, '')).length);
    const started = performance.now();
    for (let done = 0; done < rows; done += rowsPerTurn) {
      const count = Math.min(rowsPerTurn, rows - done);
      await Promise.all(Array.from({ length: count }, (_, k) => log.append(record(done + k, filler))));
    }
    const seconds = (performance.now() - started) / 1_000;
    const committed = log.stats().committedRows;
    await log.close();
    if (committed !== rows) throw new Error(`audit: ${committed} of ${rows} rows committed`);
    return { rows, rowsPerTurn, payloadBytes: PAYLOAD_BYTES, rowsPerSecond: rows / seconds };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function payload(i: number, filler: string): unknown {
  return {
    jsonrpc: '2.0',
    id: i,
    method: 'tools/call',
    params: { name: 'echo', arguments: { message: filler } },
  };
}

/** A row like the gateway's for an allowed tools/call; its payload's JSON is exactly PAYLOAD_BYTES long. */
function record(i: number, filler: string): AuditRecord {
  return {
    ts: Date.now(),
    kind: 'request',
    sessionId: 'bench-session',
    agent: 'anonymous',
    verified: false,
    source: '127.0.0.1',
    backend: 'everything',
    method: 'tools/call',
    tool: 'echo',
    requestId: String(i),
    decision: 'allow',
    forwarded: true,
    mode: 'enforce',
    stages: [],
    latencyMs: 0.5,
    payload: payload(i % 10, filler),
  };
}
