import { describe, expect, it } from 'vitest';
import { formatAuditRowJson, formatAuditRowText } from './logs-format.js';
import type { AuditRow } from './types.js';

const base: AuditRow = {
  id: 42,
  ts: Date.UTC(2025, 5, 1, 9, 30, 15, 250),
  kind: 'request',
  sessionId: 's1',
  agent: 'research-bot',
  verified: true,
  source: '127.0.0.1',
  backend: 'files',
  method: 'tools/call',
  tool: 'delete_file',
  requestId: '7',
  decision: 'deny',
  reason: 'acl_denied',
  detail: 'no allow rule',
  errorCode: -32083,
  forwarded: false,
  mode: 'enforce',
  findings: [{ rule: 'PI-001' }],
  stages: [{ stage: 'check-acl', outcome: 'deny', reason: 'acl_denied', ms: 0.1 }],
  latencyMs: 3,
  payloadSha256: 'ab'.repeat(32),
  payload: '{"id":7}',
  payloadTruncated: false,
};
const row = (fields: Partial<AuditRow>): AuditRow => ({ ...base, ...fields });

describe('formatAuditRowText', () => {
  it.each<[string, AuditRow, string]>([
    [
      'a denied tool call',
      base,
      '2025-06-01T09:30:15.250Z  deny        research-bot  files/delete_file  acl_denied  3ms',
    ],
    [
      'an event without agent, tool or latency',
      row({
        kind: 'event',
        agent: null,
        backend: 'files',
        tool: null,
        method: 'backend.down',
        decision: 'event',
        reason: null,
        latencyMs: null,
      }),
      '2025-06-01T09:30:15.250Z  event       -  backend.down  -  -',
    ],
    [
      'a fractional latency',
      row({ decision: 'allow', reason: null, latencyMs: 1.234 }),
      '2025-06-01T09:30:15.250Z  allow       research-bot  files/delete_file  -  1.2ms',
    ],
    [
      'terminal escapes and bidi overrides from a client',
      row({ agent: 'bot\u001b[2J', tool: 'x\u202eevil\nfake line' }),
      '2025-06-01T09:30:15.250Z  deny        bot\\u{1b}[2J  files/x\\u{202e}evil\\u{a}fake line  acl_denied  3ms',
    ],
  ])('%s', (_name, input, expected) => {
    expect(formatAuditRowText(input)).toBe(expected);
  });
});

describe('formatAuditRowJson', () => {
  it.each<[string, Partial<AuditRow>, unknown]>([
    ['parses a whole payload', {}, { id: 7 }],
    ['keeps a cut payload as text even if its prefix parses', { payload: '12', payloadTruncated: true }, '12'],
    ['keeps unparseable text', { payload: '{"id":', payloadTruncated: false }, '{"id":'],
    ['keeps a missing payload null', { payload: null }, null],
  ])('%s', (_name, fields, payload) => {
    const input = row(fields);
    const line = formatAuditRowJson(input);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ ...input, payload });
  });

  it('emits findings and stages as arrays', () => {
    const parsed = JSON.parse(formatAuditRowJson(base)) as AuditRow;
    expect(parsed.findings).toEqual([{ rule: 'PI-001' }]);
    expect(parsed.stages[0]?.stage).toBe('check-acl');
  });
});
