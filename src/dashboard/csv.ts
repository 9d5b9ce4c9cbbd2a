/**
 * Audit rows as CSV (RFC 4180: every field quoted, quotes doubled). A field that a spreadsheet would run as a formula
 * (starting with = + - @, tab or carriage return) gets a leading apostrophe: audit fields come from agents and
 * backends, and an export must not become a way to run a formula on the operator's machine.
 */
import type { AuditRow } from '../store/types.js';

const COLUMNS = ['id', 'time', 'kind', 'agent', 'verified', 'source', 'backend', 'tool', 'method', 'decision', 'reason', 'detail', 'error_code', 'forwarded', 'latency_ms'] as const;

export function auditCsv(rows: readonly AuditRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) {
    const values = [r.id, new Date(r.ts).toISOString(), r.kind, r.agent, r.verified, r.source, r.backend, r.tool, r.method, r.decision, r.reason, r.detail, r.errorCode, r.forwarded, r.latencyMs];
    lines.push(values.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}
