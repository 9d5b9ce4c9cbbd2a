/** The body of GET /healthz (DESIGN.md §4). */
import type { Health } from './http/public-app.js';
import type { ConfigReport } from './live-config.js';
import type { Backend } from './upstream/backend.js';

export interface HealthInputs {
  readonly started: boolean;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly config: ConfigReport;
  /** The running rules and the problems that kept the last rules edit out. */
  readonly rules?: { current(): { readonly rules: readonly unknown[] }; problems(): readonly string[] };
  /** The guard chain: what runs, what was refused and why. */
  readonly guards?: { status(): readonly { readonly name: string; readonly status: string; readonly problems: readonly string[] }[] };
}

/** 200 once every backend has been attempted (a down backend is `degraded`, still 200); 503 while starting. */
export function buildHealth(inputs: HealthInputs): Health {
  const backends: Record<string, unknown> = {};
  let attempted = true;
  let allUp = true;
  for (const [id, backend] of inputs.backends) {
    const status = backend.status();
    if (status.state === 'starting') attempted = false;
    if (status.state !== 'up') allUp = false;
    backends[id] = {
      state: status.state,
      since: new Date(status.since).toISOString(),
      tools: status.tools,
      ...(status.error ? { error: status.error } : {}),
    };
  }
  const ready = inputs.started && attempted;
  const status = !ready ? 'starting' : allUp ? 'ok' : 'degraded';
  return {
    httpStatus: ready ? 200 : 503,
    body: { status, backends, config: describeConfig(inputs.config), ...(inputs.rules ? { rules: describeRules(inputs.rules) } : {}), ...(inputs.guards ? { guards: describeGuards(inputs.guards) } : {}) },
  };
}

function describeConfig(report: ConfigReport): Record<string, unknown> {
  const last = report.lastReload;
  return {
    file: report.file,
    loaded_at: report.loadedAt,
    ...(last
      ? {
          last_reload: {
            at: last.at,
            status: last.status,
            ...(last.problems?.length ? { problems: last.problems } : {}),
            ...(last.pendingRestart?.length ? { pending_restart: last.pendingRestart } : {}),
          },
        }
      : {}),
  };
}

function describeRules(rules: NonNullable<HealthInputs['rules']>): Record<string, unknown> {
  const problems = rules.problems();
  // A rejected rules edit keeps the running set: say so where operators look, like a rejected config edit.
  return { loaded: rules.current().rules.length, ...(problems.length > 0 ? { last_reload: { status: 'rejected', problems } } : {}) };
}

function describeGuards(guards: NonNullable<HealthInputs['guards']>): Record<string, unknown> {
  const rows = guards.status();
  const refused = rows.filter((r) => r.status === 'refused' || r.problems.length > 0).map((r) => ({ name: r.name, problems: r.problems }));
  return {
    active: rows.filter((r) => r.status !== 'refused').map((r) => r.name),
    benched: rows.filter((r) => r.status === 'benched').map((r) => r.name),
    ...(refused.length > 0 ? { refused } : {}),
  };
}
