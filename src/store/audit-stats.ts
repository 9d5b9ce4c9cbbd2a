/**
 * Aggregates over the audit log for the dashboard's overview and rules pages. Every query is bounded by a time
 * window on an indexed column (`ts`), and every list by a row limit, so an overview over a large log stays cheap.
 */
import type { Database } from './open-database.js';

export interface OverviewStats {
  readonly since: number;
  readonly requests: number;
  readonly blocked: number;
  readonly quarantined: number;
  /** Requests with at least one finding whose action was `flag`. */
  readonly flagged: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly topRules: readonly { readonly id: string; readonly hits: number }[];
  /** Requests per agent per hour (hour = start of the hour, ms since the epoch). */
  readonly activity: readonly { readonly agent: string; readonly hour: number; readonly requests: number }[];
}

export interface AuditStats {
  overview(since: number): OverviewStats;
  /** Findings per rule id (or guard name) since `since`. */
  ruleHits(since: number): ReadonlyMap<string, number>;
  /** Requests and denials per agent since `since`. */
  agentActivity(since: number): ReadonlyMap<string, { readonly requests: number; readonly denials: number }>;
}

const TOP_RULES = 10;
const ACTIVITY_ROWS = 2_000;

export function createAuditStats(db: Database): AuditStats {
  const sqlite = db.sqlite;
  const counts = sqlite.prepare(`
    SELECT count(*) AS requests,
           coalesce(sum(decision = 'deny'), 0) AS blocked,
           coalesce(sum(decision = 'quarantine'), 0) AS quarantined
    FROM audit_log WHERE kind = 'request' AND ts >= ?`);
  const flagged = sqlite.prepare(`
    SELECT count(DISTINCT a.id) AS n FROM audit_log a, json_each(a.findings) f
    WHERE a.kind = 'request' AND a.ts >= ? AND json_extract(f.value, '$.action') = 'flag'`);
  const latencyCount = sqlite.prepare(`SELECT count(*) AS n FROM audit_log WHERE kind = 'request' AND ts >= ? AND latency_ms IS NOT NULL`);
  const latencyAt = sqlite.prepare(`
    SELECT latency_ms AS ms FROM audit_log WHERE kind = 'request' AND ts >= ? AND latency_ms IS NOT NULL
    ORDER BY latency_ms LIMIT 1 OFFSET ?`);
  const hits = sqlite.prepare(`
    SELECT json_extract(f.value, '$.id') AS rule_id, count(*) AS hits FROM audit_log a, json_each(a.findings) f
    WHERE a.ts >= ? AND json_extract(f.value, '$.id') IS NOT NULL
    GROUP BY rule_id ORDER BY hits DESC, rule_id LIMIT ?`);
  const activity = sqlite.prepare(`
    SELECT coalesce(agent, '(none)') AS agent, (ts / 3600000) * 3600000 AS hour, count(*) AS requests
    FROM audit_log WHERE kind = 'request' AND ts >= ?
    GROUP BY agent, hour ORDER BY hour, agent LIMIT ?`);

  const perAgent = sqlite.prepare(`
    SELECT agent, count(*) AS requests, coalesce(sum(decision = 'deny'), 0) AS denials
    FROM audit_log WHERE kind = 'request' AND ts >= ? AND agent IS NOT NULL GROUP BY agent LIMIT ?`);

  const percentile = (since: number, n: number, p: number): number | null => {
    if (n === 0) return null;
    const offset = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
    const row = latencyAt.get(since, offset) as { ms: number } | undefined;
    return row?.ms ?? null;
  };

  return {
    overview(since) {
      const c = counts.get(since) as { requests: number; blocked: number; quarantined: number };
      const n = (latencyCount.get(since) as { n: number }).n;
      return {
        since,
        requests: c.requests,
        blocked: c.blocked,
        quarantined: c.quarantined,
        flagged: (flagged.get(since) as { n: number }).n,
        p50Ms: percentile(since, n, 50),
        p99Ms: percentile(since, n, 99),
        topRules: (hits.all(since, TOP_RULES) as { rule_id: string; hits: number }[]).map((r) => ({ id: r.rule_id, hits: r.hits })),
        activity: activity.all(since, ACTIVITY_ROWS) as { agent: string; hour: number; requests: number }[],
      };
    },
    agentActivity(since) {
      const rows = perAgent.all(since, ACTIVITY_ROWS) as { agent: string; requests: number; denials: number }[];
      return new Map(rows.map((r) => [r.agent, { requests: r.requests, denials: r.denials }]));
    },
    ruleHits(since) {
      return new Map((hits.all(since, 10_000) as { rule_id: string; hits: number }[]).map((r) => [r.rule_id, r.hits]));
    },
  };
}
