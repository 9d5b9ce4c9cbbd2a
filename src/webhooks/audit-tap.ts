/**
 * Which audit records are webhook events. Webhooks follow the audit log, so an event is sent only for what was
 * committed, and every surface that records a decision (API, CLI, dashboard) notifies without knowing about hooks.
 * Payloads name who and what, never the call's arguments or results (they may hold the very secret that was blocked).
 */
import type { CommitListener } from '../store/commit-listeners.js';
import type { AuditRecord } from '../store/types.js';
import type { WebhookDispatcher, WebhookEvent } from './dispatcher.js';

/** Denials that are the gateway blocking content or behaviour (not an ACL, a rate limit or a bad signature). */
const BLOCKING_REASONS = new Set(['rule_blocked', 'guard_blocked', 'flow_denied']);

const EVENT_METHODS: Readonly<Record<string, WebhookEvent>> = {
  'quarantine.held': 'quarantined',
  'quarantine.approved': 'approved',
  'quarantine.rejected': 'rejected',
  'agent.suspended': 'agent_suspended',
};

export function webhookEventOf(record: AuditRecord): { event: WebhookEvent; data: Record<string, unknown> } | undefined {
  const who = { agent: record.agent ?? null, backend: record.backend ?? null, tool: record.tool ?? null };
  if (record.kind === 'request' && record.decision === 'deny' && BLOCKING_REASONS.has(record.reason ?? '')) {
    const rules = (record.findings ?? [])
      .map((f) => (f !== null && typeof f === 'object' ? (f as { id?: unknown }).id : undefined))
      .filter((id): id is string => typeof id === 'string');
    return { event: 'blocked', data: { ...who, method: record.method, reason: record.reason, findings: [...new Set(rules)].slice(0, 32) } };
  }
  if (record.kind !== 'event') return undefined;
  const event = Object.hasOwn(EVENT_METHODS, record.method) ? EVENT_METHODS[record.method] : undefined;
  return event ? { event, data: { ...who, detail: record.detail ?? null } } : undefined;
}

/** A commit listener (src/store/commit-listeners.ts) that sends each committed webhook event to `webhooks`. */
export function webhookListener(webhooks: WebhookDispatcher): CommitListener {
  return (record) => {
    const hook = webhookEventOf(record);
    if (hook) webhooks.emit(hook.event, hook.data);
  };
}
