/** Live events (server-sent, filtered) and audit search with export. */
import type { FC } from 'hono/jsx';
import type { AuditRow } from '../../store/types.js';
import { type Frame, Layout, time } from './layout.js';

export interface AuditFilter {
  readonly agent?: string;
  readonly backend?: string;
  readonly tool?: string;
  readonly decision?: string;
  readonly since?: string;
}

const DECISIONS = ['allow', 'deny', 'quarantine', 'event'];

const FilterForm: FC<{ action: string; filter: AuditFilter; withSince?: boolean }> = ({ action, filter, withSince }) => (
  <form class="filters" method="get" action={action}>
    <input type="text" name="agent" placeholder="agent" value={filter.agent ?? ''} />
    <input type="text" name="backend" placeholder="backend" value={filter.backend ?? ''} />
    <input type="text" name="tool" placeholder="tool" value={filter.tool ?? ''} />
    <select name="decision">
      <option value="">any decision</option>
      {DECISIONS.map((d) => (
        <option value={d} selected={d === filter.decision}>
          {d}
        </option>
      ))}
    </select>
    {withSince ? <input type="text" name="since" placeholder="since (1h, 2d, ISO time)" value={filter.since ?? ''} /> : null}
    <button type="submit">Filter</button>
  </form>
);

/** The columns of an audit row; the last is latency (live events) or detail (search). */
const RowHead: FC<{ last: string }> = ({ last }) => (
  <thead>
    <tr>
      {['time', 'agent', 'target', 'method', 'decision', 'reason', last].map((name) => (
        <th>{name}</th>
      ))}
    </tr>
  </thead>
);

export const EventsPage: FC<{ frame: Frame; filter: AuditFilter }> = ({ frame, filter }) => (
  <Layout title="Live events" current="events" frame={frame}>
    <FilterForm action="/dashboard/events" filter={filter} />
    <p class="muted">
      Stream: <span id="live-status">connecting…</span>
    </p>
    <table id="live-events">
      <RowHead last="latency" />
      <tbody></tbody>
    </table>
  </Layout>
);

export const AuditPage: FC<{ frame: Frame; filter: AuditFilter; rows: readonly AuditRow[]; query: string; error?: string }> = ({ frame, filter, rows, query, error }) => (
  <Layout title="Audit log" current="audit" frame={frame}>
    <FilterForm action="/dashboard/audit" filter={filter} withSince />
    {error ? <div class="error">{error}</div> : null}
    <p>
      Export these rows: <a href={`/dashboard/audit/export.jsonl${query}`}>JSONL</a> · <a href={`/dashboard/audit/export.csv${query}`}>CSV</a>
      <span class="muted">{` (${rows.length} shown, newest first)`}</span>
    </p>
    <table id="audit-rows">
      <RowHead last="detail" />
      <tbody>
        {[...rows].reverse().map((r) => (
          <tr>
            <td>{time(r.ts)}</td>
            <td>{r.agent ?? ''}</td>
            <td class="mono">{r.backend ? `${r.backend}/${r.tool ?? ''}` : ''}</td>
            <td class="mono">{r.method}</td>
            <td class={r.decision}>{r.decision}</td>
            <td>{r.reason ?? ''}</td>
            <td class="mono">{(r.detail ?? '').slice(0, 300)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);
