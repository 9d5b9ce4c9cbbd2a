/** For commands run with no gateway: the stored state, opened for one change, and its audit event. */
import { userInfo } from 'node:os';
import type { Config } from '../config/schema.js';
import { createSqliteAuditLog } from '../store/audit-log.js';
import { type Database, openDatabase } from '../store/open-database.js';

/** Opens the gateway's database for the duration of `work`, then closes it. */
export async function withStoredState<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(config.storage.sqlite, { backgroundCheckpoints: false });
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

/** Who made a change from the CLI: the --reviewer name, or the local user. */
export function cliReviewer(reviewer: string | undefined): string {
  return reviewer ?? `cli:${userInfo().username}`;
}

/** Records an operator event made without a gateway, as the gateway would have. */
export async function recordCliEvent(db: Database, config: Config, event: { method: string; agent: string; detail: string }): Promise<void> {
  const audit = createSqliteAuditLog(db, { maxPayloadBytes: config.audit.max_payload_bytes });
  await audit.append({ ts: Date.now(), kind: 'event', decision: 'event', forwarded: false, mode: config.mode, ...event });
  await audit.close();
}
