/**
 * Role interfaces of the store (DESIGN.md §4 "Storage and audit"). Everything outside src/store depends on these
 * types only, never on drizzle or better-sqlite3.
 */

/** What kind of thing an audit row records. */
export type AuditKind = 'request' | 'notification' | 'event';

/** The pipeline's decision for a message; `event` for operator and system events. */
export type AuditDecision = 'allow' | 'deny' | 'quarantine' | 'event';

/** How one stage judged one message. */
export interface StageOutcome {
  readonly stage: string;
  readonly outcome: 'continue' | 'deny' | 'quarantine' | 'error';
  readonly reason?: string;
  readonly ms: number;
}

/** One row of the audit log, as the gateway hands it to the store. */
export interface AuditRecord {
  /** Milliseconds since the epoch. */
  readonly ts: number;
  readonly kind: AuditKind;
  readonly sessionId?: string | null;
  readonly agent?: string | null;
  /** Whether the agent's identity was proven by a signature. */
  readonly verified?: boolean;
  /** The caller's network address. */
  readonly source?: string | null;
  readonly backend?: string | null;
  /** JSON-RPC method, or the event name for `kind: 'event'` (e.g. `backend.down`). */
  readonly method: string;
  /** Original (un-namespaced) tool or prompt name, or resource URI. */
  readonly tool?: string | null;
  /** The JSON-RPC id as sent by the client, stringified. */
  readonly requestId?: string | null;
  readonly decision: AuditDecision;
  /** Deny reason from the DESIGN.md §2 table, or null. */
  readonly reason?: string | null;
  /** Operator-facing detail (never shown to the client). */
  readonly detail?: string | null;
  /** JSON-RPC error code of the answer the client got, if it was an error. */
  readonly errorCode?: number | null;
  /** Whether the message reached the backend. */
  readonly forwarded: boolean;
  readonly mode: 'enforce' | 'observe';
  readonly findings?: readonly unknown[];
  readonly stages?: readonly StageOutcome[];
  /** End-to-end latency seen by the gateway, in milliseconds. */
  readonly latencyMs?: number | null;
  /** The payload (request and answer); hashed whole, stored capped at `audit.max_payload_bytes`. */
  readonly payload?: unknown;
}

/** A stored audit row, as queries return it. */
export interface AuditRow {
  readonly id: number;
  readonly ts: number;
  readonly kind: AuditKind;
  readonly sessionId: string | null;
  readonly agent: string | null;
  readonly verified: boolean;
  readonly source: string | null;
  readonly backend: string | null;
  readonly method: string;
  readonly tool: string | null;
  readonly requestId: string | null;
  readonly decision: AuditDecision;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly errorCode: number | null;
  readonly forwarded: boolean;
  readonly mode: 'enforce' | 'observe';
  readonly findings: unknown[];
  readonly stages: StageOutcome[];
  readonly latencyMs: number | null;
  readonly payloadSha256: string | null;
  /** The stored (possibly truncated) payload JSON text. */
  readonly payload: string | null;
  readonly payloadTruncated: boolean;
}

/** Filters of `portcullis logs`. `tool` is a bare name or `<backend>/<name>`. */
export interface AuditQuery {
  readonly agent?: string;
  readonly decision?: AuditDecision;
  readonly backend?: string;
  readonly tool?: string;
  /** Milliseconds since the epoch: rows at or after this time. */
  readonly since?: number;
  /** Most recent N rows (default 100), returned oldest first. */
  readonly limit?: number;
}

/** The write side of the audit log. */
export interface AuditLog {
  /**
   * Queues a row. The promise resolves once the row is committed (durable against a crash of the process), and
   * rejects if the write failed — the caller must then fail the call closed.
   */
  append(record: AuditRecord): Promise<void>;
  /** Resolves when everything queued so far is committed. */
  flush(): Promise<void>;
  /** Flushes and closes. Further appends reject. */
  close(): Promise<void>;
}

/** The read side of the audit log. */
export interface AuditReader {
  query(filter: AuditQuery): AuditRow[];
}
