/** Agents (status, recent denials, suspend), rules (hit counts, one rule with its examples) and guards. */
import type { FC } from 'hono/jsx';
import type { AgentView } from '../../http/admin-agents.js';
import { type Frame, Layout } from './layout.js';

export interface RuleView {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  readonly severity: string;
  readonly description?: string;
  readonly surfaces: readonly string[];
  readonly examples: { readonly match: readonly string[]; readonly no_match: readonly string[] };
}

export interface GuardView {
  readonly name: string;
  readonly status: string;
  readonly priority?: number;
  readonly phases?: readonly string[];
  readonly calls: number;
  readonly failures: Readonly<Record<string, number | undefined>>;
  readonly p50_ms: number | null;
  readonly problems: readonly string[];
}

export const AgentsPage: FC<{ frame: Frame; agents: readonly AgentView[]; denials: ReadonlyMap<string, number> }> = ({ frame, agents, denials }) => (
  <Layout title="Agents" current="agents" frame={frame}>
    {agents.length === 0 ? <p class="muted">No agent is configured, and none called in the last 24 hours.</p> : null}
    <table id="agents">
      <thead>
        <tr>
          <th>agent</th>
          <th>status</th>
          <th>denials (24 h)</th>
          <th>changed</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {agents.map((a) => (
          <tr>
            <td>
              <a href={`/dashboard/audit?agent=${encodeURIComponent(a.agent)}&decision=deny`}>{a.agent}</a>
            </td>
            <td class={a.suspended ? 'deny' : 'allow'}>
              {a.suspended ? `suspended${a.suspended_by_config ? ' (by the config)' : ''}${a.reason ? `: ${a.reason}` : ''}` : 'active'}
            </td>
            <td>{denials.get(a.agent) ?? 0}</td>
            <td class="muted">{a.updated_by ? `${a.updated_at ?? ''} by ${a.updated_by}` : ''}</td>
            <td>
              {a.suspended_by_config ? null : (
                <form class="inline" method="post" action={`/dashboard/agents/${encodeURIComponent(a.agent)}/${a.suspended ? 'unsuspend' : 'suspend'}`}>
                  <input type="hidden" name="csrf" value={frame.csrf} />
                  {a.suspended ? null : <input type="text" name="reason" placeholder="reason" maxlength={1000} />}
                  <button type="submit" class={a.suspended ? 'secondary' : 'danger'}>
                    {a.suspended ? 'Unsuspend' : 'Suspend'}
                  </button>
                </form>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);

export const RulesPage: FC<{ frame: Frame; rules: readonly RuleView[]; hits: ReadonlyMap<string, number> }> = ({ frame, rules, hits }) => (
  <Layout title="Rules" current="rules" frame={frame}>
    <table id="rules">
      <thead>
        <tr>
          <th>id</th>
          <th>name</th>
          <th>category</th>
          <th>severity</th>
          <th>findings (24 h)</th>
        </tr>
      </thead>
      <tbody>
        {rules.map((r) => (
          <tr>
            <td class="mono">
              <a href={`/dashboard/rules/${encodeURIComponent(r.id)}`}>{r.id}</a>
            </td>
            <td>{r.name}</td>
            <td>{r.category}</td>
            <td>{r.severity}</td>
            <td>{hits.get(r.id) ?? 0}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);

export const RulePage: FC<{ frame: Frame; rule: RuleView; hits: number }> = ({ frame, rule, hits }) => (
  <Layout title={`${rule.id}: ${rule.name}`} current="rules" frame={frame}>
    <p>{rule.description}</p>
    <p class="muted">{`${rule.category} · ${rule.severity} · surfaces ${rule.surfaces.join(', ')} · ${hits} finding(s) in 24 h`}</p>
    <h2>Matches</h2>
    <pre>{rule.examples.match.join('\n')}</pre>
    <h2>Does not match</h2>
    <pre>{rule.examples.no_match.join('\n')}</pre>
  </Layout>
);

export const GuardsPage: FC<{ frame: Frame; guards: readonly GuardView[] }> = ({ frame, guards }) => (
  <Layout title="Guards" current="guards" frame={frame}>
    {guards.length === 0 ? (
      <p class="muted">No guards are loaded (drop a .wasm and its .guard.yaml into guards.dir).</p>
    ) : (
      <table id="guards">
        <thead>
          <tr>
            <th>guard</th>
            <th>status</th>
            <th>priority</th>
            <th>phases</th>
            <th>calls</th>
            <th>failures</th>
            <th>p50</th>
          </tr>
        </thead>
        <tbody>
          {guards.map((g) => (
            <tr>
              <td class="mono">{g.name}</td>
              <td class={g.status === 'active' ? 'allow' : 'deny'}>{g.status === 'refused' ? `refused: ${g.problems.join('; ')}` : g.status}</td>
              <td>{g.priority ?? ''}</td>
              <td>{(g.phases ?? []).join(', ')}</td>
              <td>{g.calls}</td>
              <td>{Object.entries(g.failures).map(([k, n]) => `${k} ${n ?? 0}`).join(', ') || '0'}</td>
              <td>{g.p50_ms === null ? '–' : `${g.p50_ms} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
