/**
 * Output of `portcullis logs`: one human line or one JSON object per audit row. Agent, tool and reason text comes from
 * clients and backends, so control and bidi characters are escaped before they reach an operator's terminal.
 */
import type { AuditRow } from './types.js';

// C0, DEL, C1, line/paragraph separators and bidi overrides/isolates: each can forge or hide text on a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** `\u{…}`-escapes characters that could move the cursor, fake a line or reorder text. */
function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`);
}

function field(value: string | null): string {
  return value === null || value === '' ? '-' : escapeUnsafe(value);
}

function formatLatency(ms: number | null): string {
  if (ms === null) return '-';
  return Number.isInteger(ms) ? `${ms}ms` : `${ms.toFixed(1)}ms`;
}

/** One line: ISO time, decision, agent, backend/tool (or the method), reason, latency. */
export function formatAuditRowText(row: AuditRow): string {
  const target = row.tool === null ? field(row.method) : `${field(row.backend)}/${field(row.tool)}`;
  return [
    new Date(row.ts).toISOString(),
    row.decision.padEnd(10),
    field(row.agent),
    target,
    field(row.reason),
    formatLatency(row.latencyMs),
  ].join('  ');
}

/** One JSON object with the AuditRow's fields; the payload parsed back to JSON unless it was cut short. */
export function formatAuditRowJson(row: AuditRow): string {
  return JSON.stringify({ ...row, payload: parsePayload(row) });
}

function parsePayload(row: AuditRow): unknown {
  // A cut payload is shown as text even when its prefix happens to parse (`12345` cut to `12`).
  if (row.payload === null || row.payloadTruncated) return row.payload;
  try {
    return JSON.parse(row.payload) as unknown;
  } catch {
    return row.payload;
  }
}
