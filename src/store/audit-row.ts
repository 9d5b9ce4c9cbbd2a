/**
 * Turns an AuditRecord into the values of one audit_log insert: the payload hashed whole and stored capped, so a
 * huge tool result cannot bloat the database while its digest still pins exactly what was sent.
 */
import * as crypto from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
import { auditLog } from './schema.js';
import type { AuditRecord } from './types.js';

type InsertKey = Exclude<keyof typeof auditLog.$inferInsert, 'id'>;
type SqlValue = string | number | null;
/** The insert's values in INSERT_ORDER: positional binding is markedly faster than named for 22 columns. */
export type AuditRowValues = readonly SqlValue[];

const INSERT_ORDER = [
  'ts',
  'kind',
  'sessionId',
  'agent',
  'verified',
  'source',
  'backend',
  'method',
  'tool',
  'requestId',
  'decision',
  'reason',
  'detail',
  'errorCode',
  'forwarded',
  'mode',
  'findings',
  'stages',
  'latencyMs',
  'payloadSha256',
  'payload',
  'payloadTruncated',
] as const satisfies readonly InsertKey[];
// Fails to compile when a column is added to the schema but not to INSERT_ORDER.
const insertOrderIsComplete: [Exclude<InsertKey, (typeof INSERT_ORDER)[number]>] extends [never] ? true : never = true;
void insertOrderIsComplete;

/** The INSERT statement matching auditRowValues, with column names taken from the schema. */
export function auditInsertSql(): string {
  const columns = getTableColumns(auditLog);
  const names = INSERT_ORDER.map((key) => `"${columns[key].name}"`).join(', ');
  return `INSERT INTO "audit_log" (${names}) VALUES (${INSERT_ORDER.map(() => '?').join(', ')})`;
}

// One-shot crypto.hash (Node ≥ 20.12) is about twice as fast as createHash for 1 KiB; engines allow 20.9.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** The insert values of `record`; throws if a payload, finding or stage is not JSON-serializable. */
export function auditRowValues(record: AuditRecord, maxPayloadBytes: number): AuditRowValues {
  // JSON.stringify returns undefined for a function or symbol: stored like a missing payload.
  const payload = record.payload === undefined ? undefined : (JSON.stringify(record.payload) as string | undefined);
  const stored = payload === undefined ? undefined : capUtf8(payload, maxPayloadBytes);
  // Same order as INSERT_ORDER.
  return [
    record.ts,
    record.kind,
    record.sessionId ?? null,
    record.agent ?? null,
    record.verified === true ? 1 : 0,
    record.source ?? null,
    record.backend ?? null,
    record.method,
    record.tool ?? null,
    record.requestId ?? null,
    record.decision,
    record.reason ?? null,
    record.detail ?? null,
    record.errorCode ?? null,
    record.forwarded ? 1 : 0,
    record.mode,
    JSON.stringify(record.findings ?? []),
    JSON.stringify(record.stages ?? []),
    record.latencyMs ?? null,
    // Of the whole JSON text, so a truncated row still pins what was sent.
    payload === undefined ? null : sha256Hex(payload),
    stored?.text ?? null,
    stored?.truncated === true ? 1 : 0,
  ];
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, never inside a character. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short text skips the byte count.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that straddles the cut.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}
