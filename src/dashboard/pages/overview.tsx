/** Overview: the last 24 hours at a glance, and requests per agent per hour as an inline SVG chart. */
import type { FC } from 'hono/jsx';
import type { OverviewStats } from '../../store/audit-stats.js';
import { type Frame, Layout } from './layout.js';

const Card: FC<{ n: string | number; label: string }> = ({ n, label }) => (
  <div class="card">
    <div class="n">{n}</div>
    <div class="label">{label}</div>
  </div>
);

const ms = (v: number | null): string => (v === null ? '–' : `${v.toFixed(1)} ms`);

export const OverviewPage: FC<{ frame: Frame; stats: OverviewStats; pending: number }> = ({ frame, stats, pending }) => (
  <Layout title="Overview (last 24 hours)" current="overview" frame={frame}>
    <div class="cards">
      <Card n={stats.requests} label="requests" />
      <Card n={stats.blocked} label="denied" />
      <Card n={stats.quarantined} label="held" />
      <Card n={stats.flagged} label="flagged" />
      <Card n={pending} label="awaiting review" />
      <Card n={ms(stats.p50Ms)} label="latency p50" />
      <Card n={ms(stats.p99Ms)} label="latency p99" />
    </div>
    <h2>Requests per agent per hour</h2>
    <ActivityChart stats={stats} />
    <h2>Top rules and guards</h2>
    {stats.topRules.length === 0 ? (
      <p class="muted">No findings in this window.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>rule or guard</th>
            <th>findings</th>
          </tr>
        </thead>
        <tbody>
          {stats.topRules.map((r) => (
            <tr>
              <td class="mono">
                <a href={`/dashboard/rules/${encodeURIComponent(r.id)}`}>{r.id}</a>
              </td>
              <td>{r.hits}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);

const COLORS = ['#2f5bd3', '#1e7b34', '#a05a00', '#b3261e', '#6b3fa0', '#0a7d8c', '#7a7a7a'];
const WIDTH = 900;
const HEIGHT = 220;
const PAD = 30;

/** A stacked bar per hour, one colour per agent (the busiest six; the rest as "other"). */
const ActivityChart: FC<{ stats: OverviewStats }> = ({ stats }) => {
  const totals = new Map<string, number>();
  for (const row of stats.activity) totals.set(row.agent, (totals.get(row.agent) ?? 0) + row.requests);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([agent]) => agent);
  const hours: number[] = [];
  const first = Math.floor(stats.since / 3_600_000) * 3_600_000;
  for (let h = first; h <= Date.now(); h += 3_600_000) hours.push(h);
  const byHour = new Map<number, Map<string, number>>();
  for (const row of stats.activity) {
    const key = top.includes(row.agent) ? row.agent : 'other';
    const bucket = byHour.get(row.hour) ?? new Map<string, number>();
    bucket.set(key, (bucket.get(key) ?? 0) + row.requests);
    byHour.set(row.hour, bucket);
  }
  const max = Math.max(1, ...[...byHour.values()].map((b) => [...b.values()].reduce((s, n) => s + n, 0)));
  const barWidth = (WIDTH - 2 * PAD) / Math.max(1, hours.length);
  const series = [...top, ...(totals.size > top.length ? ['other'] : [])];
  return (
    <svg class="chart" width={WIDTH} height={HEIGHT + 40} viewBox={`0 0 ${WIDTH} ${HEIGHT + 40}`} role="img" aria-label="requests per agent per hour">
      {hours.map((hour, i) => {
        let y = HEIGHT - PAD;
        const bucket = byHour.get(hour);
        return (
          <g>
            {series.map((agent, s) => {
              const n = bucket?.get(agent) ?? 0;
              const h = (n / max) * (HEIGHT - 2 * PAD);
              y -= h;
              return n === 0 ? null : (
                <rect x={PAD + i * barWidth + 1} y={y} width={Math.max(1, barWidth - 2)} height={h} fill={COLORS[s % COLORS.length]}>
                  <title>{`${agent}: ${n} at ${new Date(hour).toISOString().slice(11, 16)}`}</title>
                </rect>
              );
            })}
            {i % 4 === 0 ? (
              <text x={PAD + i * barWidth} y={HEIGHT - PAD + 14}>
                {new Date(hour).toISOString().slice(11, 16)}
              </text>
            ) : null}
          </g>
        );
      })}
      <text x={4} y={PAD}>
        {String(max)}
      </text>
      {series.map((agent, s) => (
        <g>
          <rect x={PAD + s * 140} y={HEIGHT + 8} width={10} height={10} fill={COLORS[s % COLORS.length]} />
          <text x={PAD + s * 140 + 14} y={HEIGHT + 17}>
            {agent}
          </text>
        </g>
      ))}
    </svg>
  );
};
