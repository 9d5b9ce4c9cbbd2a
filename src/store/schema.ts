/**
 * The database schema (DESIGN.md §4 "Storage and audit"). Changing it means `npx drizzle-kit generate` and committing
 * the new migration under ./migrations, which openDatabase applies at start-up.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { AuditDecision, AuditKind, StageOutcome } from './types.js';

export const AUDIT_KINDS = ['request', 'notification', 'event'] as const satisfies readonly AuditKind[];
export const AUDIT_DECISIONS = ['allow', 'deny', 'quarantine', 'event'] as const satisfies readonly AuditDecision[];
export const AUDIT_MODES = ['enforce', 'observe'] as const;

/** `'a', 'b'` for a CHECK: the values are the constants above, never input. */
function literalList(values: readonly string[]): ReturnType<typeof sql.raw> {
  return sql.raw(values.map((value) => `'${value}'`).join(', '));
}

/** One row per JSON-RPC request, crossing notification, or operator/system event. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    // AUTOINCREMENT so ids are never reused after retention empties the table: readers may page by id.
    id: integer('id').primaryKey({ autoIncrement: true }),
    ts: integer('ts').notNull(),
    kind: text('kind', { enum: AUDIT_KINDS }).notNull(),
    sessionId: text('session_id'),
    agent: text('agent'),
    verified: integer('verified', { mode: 'boolean' }).notNull().default(false),
    source: text('source'),
    backend: text('backend'),
    method: text('method').notNull(),
    tool: text('tool'),
    requestId: text('request_id'),
    decision: text('decision', { enum: AUDIT_DECISIONS }).notNull(),
    reason: text('reason'),
    detail: text('detail'),
    errorCode: integer('error_code'),
    forwarded: integer('forwarded', { mode: 'boolean' }).notNull(),
    mode: text('mode', { enum: AUDIT_MODES }).notNull(),
    findings: text('findings', { mode: 'json' }).$type<unknown[]>().notNull().default([]),
    stages: text('stages', { mode: 'json' }).$type<StageOutcome[]>().notNull().default([]),
    latencyMs: real('latency_ms'),
    payloadSha256: text('payload_sha256'),
    payload: text('payload'),
    payloadTruncated: integer('payload_truncated', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    // The `portcullis logs` filters, each ending in ts so "newest N" reads the index backwards. Each index costs
    // about a tenth of the insert rate, so a bare --tool filter walks the ts index instead of having its own.
    index('audit_log_ts_idx').on(t.ts),
    index('audit_log_agent_ts_idx').on(t.agent, t.ts),
    index('audit_log_decision_ts_idx').on(t.decision, t.ts),
    index('audit_log_backend_tool_ts_idx').on(t.backend, t.tool, t.ts),
    // The database refuses rows the types forbid, so a bug elsewhere cannot store an unreadable row.
    check('audit_log_kind_check', sql`${t.kind} IN (${literalList(AUDIT_KINDS)})`),
    check('audit_log_decision_check', sql`${t.decision} IN (${literalList(AUDIT_DECISIONS)})`),
    check('audit_log_mode_check', sql`${t.mode} IN (${literalList(AUDIT_MODES)})`),
    check(
      'audit_log_flags_check',
      sql`${t.verified} IN (0, 1) AND ${t.forwarded} IN (0, 1) AND ${t.payloadTruncated} IN (0, 1)`,
    ),
  ],
);

/** Operator state of an agent that outlives a restart (DESIGN.md §4: suspended by an operator). */
export const agentState = sqliteTable('agent_state', {
  agent: text('agent').primaryKey(),
  suspended: integer('suspended', { mode: 'boolean' }).notNull().default(false),
  reason: text('reason'),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * Keys that are no longer an agent's current key: the previous key during its rotation grace (its public key is kept
 * here, as the file on disk now holds the new one), and revoked keys (refused from the next request on).
 */
export const keyState = sqliteTable(
  'key_state',
  {
    agent: text('agent').notNull(),
    fingerprint: text('fingerprint').notNull(),
    /** base64url raw 32-byte Ed25519 public key. */
    publicKey: text('public_key').notNull(),
    status: text('status', { enum: ['previous', 'revoked'] }).notNull(),
    /** For a previous key: ms since the epoch until which it still verifies. */
    validUntil: integer('valid_until'),
    changedAt: integer('changed_at').notNull(),
    changedBy: text('changed_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.agent, t.fingerprint] }), check('key_state_status_check', sql`${t.status} IN ('previous', 'revoked')`)],
);

/** Agent-to-agent messages (DESIGN.md §1): read without deleting, expire after `messages.ttl_s`. */
export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sender: text('sender').notNull(),
    recipient: text('recipient').notNull(),
    content: text('content', { mode: 'json' }).notNull(),
    metadata: text('metadata', { mode: 'json' }),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('messages_recipient_id_idx').on(t.recipient, t.id), index('messages_expires_idx').on(t.expiresAt)],
);

/**
 * Tool pins (rug-pull defence): the SHA-256 of each tool's canonical definition as first seen, and every changed
 * definition a backend later served, pending until an operator approves it. One approved row per backend and tool.
 */
export const toolPins = sqliteTable(
  'tool_pins',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    backend: text('backend').notNull(),
    tool: text('tool').notNull(),
    sha256: text('sha256').notNull(),
    /** The canonical (RFC 8785) JSON of name, description and input schema. */
    definition: text('definition').notNull(),
    status: text('status', { enum: ['approved', 'pending', 'superseded'] }).notNull(),
    /** Against the approved definition it would replace (pending rows). */
    diff: text('diff'),
    firstSeen: integer('first_seen').notNull(),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
  },
  (t) => [
    index('tool_pins_backend_tool_idx').on(t.backend, t.tool, t.status),
    check('tool_pins_status_check', sql`${t.status} IN ('approved', 'pending', 'superseded')`),
  ],
);

/**
 * Held calls (DESIGN.md §4 "Storage and audit"): the canonical hash of the call (agent, backend, tool, RFC 8785
 * arguments), what held it, and its state. A held response keeps the result it would have returned.
 */
export const quarantineItems = sqliteTable(
  'quarantine_items',
  {
    id: text('id').primaryKey(),
    createdAt: integer('created_at').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'rejected', 'expired'] }).notNull(),
    held: text('held', { enum: ['request', 'response'] }).notNull(),
    agent: text('agent').notNull(),
    sessionId: text('session_id'),
    backend: text('backend'),
    method: text('method').notNull(),
    tool: text('tool'),
    reason: text('reason').notNull(),
    callSha256: text('call_sha256').notNull(),
    findings: text('findings', { mode: 'json' }).$type<unknown[]>().notNull().default([]),
    /** The held request's params, and for a held response the result (credentials masked), bounded in size. */
    payload: text('payload'),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
    decisionReason: text('decision_reason'),
    /** The pipeline stage whose verdict held the call (`check-approval`, `scan-rules`, `response:run-guards`, …). */
    heldStage: text('held_stage').notNull().default(''),
    /** When an approval was used: by the waiting call, or once by an identical retry. */
    usedAt: integer('used_at'),
  },
  (t) => [
    index('quarantine_status_agent_idx').on(t.status, t.agent),
    index('quarantine_call_idx').on(t.callSha256),
    check('quarantine_status_check', sql`${t.status} IN ('pending', 'approved', 'rejected', 'expired')`),
    check('quarantine_held_check', sql`${t.held} IN ('request', 'response')`),
  ],
);

export const schema = { auditLog, agentState, keyState, messages, toolPins, quarantineItems };
