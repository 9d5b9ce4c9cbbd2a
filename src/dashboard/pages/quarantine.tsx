/**
 * The quarantine queue and one held call: its findings, and its stored payload with each finding's span highlighted
 * (the payload came from an agent or a backend: it is text, never markup), and the approve / reject forms.
 */
import type { FC } from 'hono/jsx';
import type { QuarantineView } from '../../http/admin-quarantine.js';
import { type Frame, Layout } from './layout.js';

const STATUSES = ['pending', 'approved', 'rejected', 'expired'];

export const QuarantineListPage: FC<{ frame: Frame; items: readonly QuarantineView[]; status: string | undefined }> = ({ frame, items, status }) => (
  <Layout title="Quarantine" current="quarantine" frame={frame}>
    <form class="filters" method="get" action="/dashboard/quarantine">
      <select name="status">
        <option value="">all</option>
        {STATUSES.map((s) => (
          <option value={s} selected={s === status}>
            {s}
          </option>
        ))}
      </select>
      <button type="submit">Filter</button>
    </form>
    {items.length === 0 ? (
      <p class="muted">Nothing is held.</p>
    ) : (
      <table id="quarantine-items">
        <thead>
          <tr>
            <th>held at</th>
            <th>id</th>
            <th>status</th>
            <th>agent</th>
            <th>target</th>
            <th>held</th>
            <th>by</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr>
              <td>{item.created_at.replace('T', ' ').slice(0, 19)}</td>
              <td class="mono">
                <a href={`/dashboard/quarantine/${item.id}`}>{item.id}</a>
              </td>
              <td class={item.status}>{item.status}</td>
              <td>{item.agent}</td>
              <td class="mono">{`${item.backend ?? '-'}/${item.tool ?? '-'}`}</td>
              <td>{item.held}</td>
              <td class="mono">{item.held_stage}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);

interface FindingView {
  readonly source?: string;
  readonly id?: string;
  readonly category?: string;
  readonly action?: string;
  readonly pointer?: string;
  readonly start?: number;
  readonly end?: number;
  readonly message?: string;
}

export const QuarantineItemPage: FC<{ frame: Frame; item: QuarantineView; notice?: string; error?: string }> = ({ frame, item, notice, error }) => {
  const findings = item.findings as FindingView[];
  return (
    <Layout title={`Held call ${item.id}`} current="quarantine" frame={frame}>
      {notice ? <div class="notice">{notice}</div> : null}
      {error ? <div class="error">{error}</div> : null}
      <table>
        <tbody>
          <Row label="status" value={item.status} cls={item.status} />
          <Row label="agent" value={item.agent} />
          <Row label="target" value={`${item.backend ?? '-'}/${item.tool ?? '-'} (${item.method})`} />
          <Row label="held" value={`${item.held} by ${item.held_stage}: ${item.reason}`} />
          <Row label="held at" value={item.created_at} />
          {item.decided_by ? <Row label="decided" value={`${item.decided_at ?? ''} by ${item.decided_by}${item.review_reason ? `: ${item.review_reason}` : ''}`} /> : null}
        </tbody>
      </table>
      {item.status === 'pending' ? <DecisionForms item={item} csrf={frame.csrf} /> : null}
      <h2>Findings</h2>
      <table>
        <thead>
          <tr>
            <th>source</th>
            <th>id</th>
            <th>action</th>
            <th>where</th>
            <th>message</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f) => (
            <tr>
              <td>{f.source ?? ''}</td>
              <td class="mono">{f.id ?? ''}</td>
              <td>{f.action ?? ''}</td>
              <td class="mono">{f.pointer ? `${f.pointer} [${f.start ?? ''}, ${f.end ?? ''})` : ''}</td>
              <td>{f.message ?? f.category ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Payload (as stored; credentials masked)</h2>
      <table id="payload">
        <tbody>
          {stringsOf(item.payload).map(([pointer, text]) => (
            <tr>
              <td class="mono">{pointer}</td>
              <td class="mono">
                <Highlighted text={text} spans={findings.filter((f) => f.pointer === pointer)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
};

const Row: FC<{ label: string; value: string; cls?: string }> = ({ label, value, cls }) => (
  <tr>
    <th>{label}</th>
    <td class={cls}>{value}</td>
  </tr>
);

const DecisionForms: FC<{ item: QuarantineView; csrf: string }> = ({ item, csrf }) => (
  <div class="filters">
    {(['approve', 'reject'] as const).map((verb) => (
      <form class="inline" method="post" action={`/dashboard/quarantine/${item.id}/${verb}`}>
        <input type="hidden" name="csrf" value={csrf} />
        <input type="text" name="reason" placeholder="reason (optional)" maxlength={1000} />
        <button type="submit" class={verb === 'reject' ? 'danger' : undefined} id={`${verb}-button`}>
          {verb === 'approve' ? 'Approve' : 'Reject'}
        </button>
      </form>
    ))}
  </div>
);

/** The text with each finding's [start, end) marked; spans are clipped and sorted, overlaps merged. */
const Highlighted: FC<{ text: string; spans: readonly FindingView[] }> = ({ text, spans }) => {
  const ranges = spans
    .filter((s) => typeof s.start === 'number' && typeof s.end === 'number')
    .map((s) => [Math.max(0, Math.min(text.length, s.start as number)), Math.max(0, Math.min(text.length, s.end as number))] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  const parts: (string | { mark: string })[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    if (from > at) parts.push(text.slice(at, from));
    parts.push({ mark: text.slice(from, end) });
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts.map((p) => (typeof p === 'string' ? p : <mark>{p.mark}</mark>))}</>;
};

/** Every string in the stored payload with its JSON pointer (rooted like findings: /params/…, /result/…). */
function stringsOf(value: unknown, pointer = '', out: [string, string][] = []): [string, string][] {
  if (out.length >= 500) return out;
  if (typeof value === 'string') out.push([pointer || '/', value.length > 20_000 ? `${value.slice(0, 20_000)}…` : value]);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push([pointer || '/', String(value)]);
  else if (Array.isArray(value)) value.forEach((v, i) => stringsOf(v, `${pointer}/${i}`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringsOf(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  return out;
}
