/**
 * The dashboard's live event feed: every committed audit record, summarized (never its payload), to the browsers
 * watching. Bounded: at most MAX_SUBSCRIBERS streams, and a subscriber that falls behind loses its oldest events
 * rather than growing a queue.
 */
import type { AuditRecord } from '../store/types.js';

export interface LiveEvent {
  readonly ts: number;
  readonly kind: string;
  readonly agent: string | null;
  readonly backend: string | null;
  readonly tool: string | null;
  readonly method: string;
  readonly decision: string;
  readonly reason: string | null;
  readonly latency_ms: number | null;
}

export interface LiveEventFilter {
  readonly agent?: string;
  readonly backend?: string;
  readonly tool?: string;
  readonly decision?: string;
}

export interface LiveEvents {
  publish(record: AuditRecord): void;
  /** undefined when MAX_SUBSCRIBERS streams are open already. */
  subscribe(filter: LiveEventFilter, deliver: (event: LiveEvent) => void): (() => void) | undefined;
}

export const MAX_SUBSCRIBERS = 32;

export function createLiveEvents(): LiveEvents {
  const subscribers = new Set<{ filter: LiveEventFilter; deliver: (event: LiveEvent) => void }>();
  return {
    publish(record) {
      if (subscribers.size === 0) return;
      const event: LiveEvent = {
        ts: record.ts, kind: record.kind, agent: record.agent ?? null, backend: record.backend ?? null, tool: record.tool ?? null,
        method: record.method, decision: record.decision, reason: record.reason ?? null, latency_ms: record.latencyMs ?? null,
      };
      for (const s of subscribers) if (matches(s.filter, event)) s.deliver(event);
    },
    subscribe(filter, deliver) {
      if (subscribers.size >= MAX_SUBSCRIBERS) return undefined;
      const entry = { filter, deliver };
      subscribers.add(entry);
      return () => void subscribers.delete(entry);
    },
  };
}

function matches(filter: LiveEventFilter, event: LiveEvent): boolean {
  return (
    (!filter.agent || filter.agent === event.agent) &&
    (!filter.backend || filter.backend === event.backend) &&
    (!filter.tool || filter.tool === event.tool) &&
    (!filter.decision || filter.decision === event.decision)
  );
}
