/**
 * The SQLite audit log. Every decision's row must be committed before the client sees the answer (DESIGN.md §6), so
 * appends of one event-loop turn share one transaction, and a failed write rejects its callers so they fail closed.
 */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { auditInsertSql, auditRowValues } from './audit-row.js';
import type { AuditRowValues } from './audit-row.js';
import { StoreError } from './errors.js';
import type { Database } from './open-database.js';
import { auditLog } from './schema.js';
import type { AuditLog, AuditQuery, AuditReader, AuditRow } from './types.js';

export interface SqliteAuditLogOptions {
  /** `audit.max_payload_bytes`: the stored payload is cut to this many UTF-8 bytes (the hash covers all of it). */
  readonly maxPayloadBytes: number;
  /** Told about every failed batch (for the operator's log); the batch's appends reject as well. */
  readonly onError?: (err: unknown) => void;
  /** Rows waiting for their transaction beyond which append rejects at once instead of growing memory. */
  readonly maxQueuedRows?: number;
}

/** Counters for tests and metrics. */
export interface AuditLogStats {
  readonly committedBatches: number;
  readonly committedRows: number;
  readonly failedBatches: number;
  readonly queuedRows: number;
}

export interface SqliteAuditLog extends AuditLog, AuditReader {
  stats(): AuditLogStats;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;
const DEFAULT_MAX_QUEUED_ROWS = 50_000;

/** The rows of one event-loop turn. Its appends share one promise: one allocation per batch, not per row. */
interface Batch {
  readonly rows: AuditRowValues[];
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function createBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const committed = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { rows: [], committed, resolve, reject };
}

/** Creates the audit log over an open database. Closing the log does not close the database: its opener does. */
export function createSqliteAuditLog(db: Database, options: SqliteAuditLogOptions): SqliteAuditLog {
  const { maxPayloadBytes, onError } = options;
  const maxQueuedRows = options.maxQueuedRows ?? DEFAULT_MAX_QUEUED_ROWS;
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 0) {
    throw new RangeError(`maxPayloadBytes must be a non-negative integer, got ${maxPayloadBytes}`);
  }
  // A raw prepared statement: drizzle's per-row query builder costs more than the write itself.
  const insert = db.sqlite.prepare(auditInsertSql());
  const insertAll = db.sqlite.transaction((rows: readonly AuditRowValues[]) => {
    for (const row of rows) insert.run(row);
  });
  let batch: Batch | undefined;
  let timer: NodeJS.Immediate | undefined;
  let closed = false;
  const counts = { committedBatches: 0, committedRows: 0, failedBatches: 0 };

  const writeBatch = (): void => {
    if (timer !== undefined) clearImmediate(timer);
    timer = undefined;
    const current = batch;
    batch = undefined;
    if (current === undefined) return;
    try {
      insertAll(current.rows);
    } catch (cause) {
      counts.failedBatches += 1;
      const err = new StoreError('audit_write_failed', `audit write failed: ${messageOf(cause)}`, { cause });
      current.reject(err);
      try {
        onError?.(err);
      } catch {
        // A throwing error hook must not turn a reported write failure into an uncaught exception.
      }
      return;
    }
    counts.committedBatches += 1;
    counts.committedRows += current.rows.length;
    current.resolve();
  };

  return {
    append(record) {
      if (closed) return Promise.reject(new StoreError('audit_closed', 'the audit log is closed'));
      if (batch !== undefined && batch.rows.length >= maxQueuedRows) {
        return Promise.reject(new StoreError('audit_queue_full', `more than ${maxQueuedRows} audit rows are queued`));
      }
      let row: AuditRowValues;
      try {
        row = auditRowValues(record, maxPayloadBytes);
      } catch (cause) {
        const err = new StoreError('audit_unserializable', `audit row is not JSON: ${messageOf(cause)}`, { cause });
        return Promise.reject(err);
      }
      batch ??= createBatch();
      batch.rows.push(row);
      timer ??= setImmediate(writeBatch);
      return batch.committed;
    },
    flush() {
      // Writing now rather than at the end of the turn; a failure reaches the appends' own promises and onError.
      writeBatch();
      return Promise.resolve();
    },
    close() {
      closed = true;
      writeBatch();
      return Promise.resolve();
    },
    query: (filter) => queryAudit(db, filter),
    stats: () => ({ ...counts, queuedRows: batch?.rows.length ?? 0 }),
  };
}

/** The newest `limit` rows matching `filter`, oldest first. */
function queryAudit(db: Database, filter: AuditQuery): AuditRow[] {
  return buildAuditQuery(db, filter).all().reverse();
}

/** The query behind AuditReader.query, newest first; exported so a test can check that it uses the indexes. */
export function buildAuditQuery(db: Database, filter: AuditQuery) {
  const conditions: SQL[] = [];
  if (filter.agent !== undefined) conditions.push(eq(auditLog.agent, filter.agent));
  if (filter.decision !== undefined) conditions.push(eq(auditLog.decision, filter.decision));
  if (filter.backend !== undefined) conditions.push(backendCondition(filter.backend, filter.tool));
  if (filter.since !== undefined) conditions.push(gte(auditLog.ts, filter.since));
  if (filter.tool !== undefined) conditions.push(toolCondition(filter.tool));
  return db.orm
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.ts), desc(auditLog.id))
    .limit(queryLimit(filter.limit));
}

/**
 * With a tool, backend+tool+ts answers directly. Without one, the backend+tool+ts index would read all of a backend's
 * rows (a gateway has few backends, each holding a large share) and sort them; walking the ts index newest-first
 * stops after `limit` matches. A unary `+` (a no-op in SQLite) keeps the planner off that index.
 */
function backendCondition(backend: string, tool: string | undefined): SQL {
  return tool === undefined ? sql`+${auditLog.backend} = ${backend}` : eq(auditLog.backend, backend);
}

/**
 * `backend/name` names a backend's tool (served by the backend+tool index); a bare name matches the tool column. A
 * resource URI is a bare name too: a `:` before the first `/` (file:///x) marks a scheme, never a backend id.
 */
function toolCondition(tool: string): SQL {
  const slash = tool.indexOf('/');
  const prefix = tool.slice(0, slash);
  if (slash <= 0 || prefix.includes(':')) return eq(auditLog.tool, tool);
  return and(eq(auditLog.backend, prefix), eq(auditLog.tool, tool.slice(slash + 1))) ?? eq(auditLog.tool, tool);
}

function queryLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_QUERY_LIMIT);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
