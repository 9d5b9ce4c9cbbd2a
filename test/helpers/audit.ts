/** Reads a gateway's audit log through src/store, as `portcullis logs` does, while the gateway may be writing. */
import { createSqliteAuditLog } from '../../src/store/audit-log.js';
import { openDatabase } from '../../src/store/open-database.js';
import type { AuditQuery, AuditRow } from '../../src/store/types.js';

/** The rows matching `query` (oldest first, at most `limit`, default 1000). */
export async function readAudit(dbPath: string, query: AuditQuery = {}): Promise<AuditRow[]> {
  const db = openDatabase(dbPath);
  try {
    const log = createSqliteAuditLog(db, { maxPayloadBytes: 65_536 });
    const rows = log.query({ limit: 1_000, ...query });
    await log.close();
    return rows;
  } finally {
    db.close();
  }
}

/** Audit rows of client requests for `method` (optionally one backend's tool). */
export async function requestRows(
  dbPath: string,
  method: string,
  filter: { backend?: string; tool?: string } = {},
): Promise<AuditRow[]> {
  const rows = await readAudit(dbPath, { backend: filter.backend });
  return rows.filter(
    (row) => row.kind === 'request' && row.method === method && (filter.tool === undefined || row.tool === filter.tool),
  );
}
