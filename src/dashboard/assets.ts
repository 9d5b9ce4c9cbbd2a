/**
 * The dashboard's only script and stylesheet, served from /dashboard/assets/ so the Content-Security-Policy can
 * forbid inline script. The script builds table rows with textContent only: an event's fields come from agents and
 * backends and are never parsed as HTML.
 */

export const DASHBOARD_CSS = `
:root { --fg: #1d2330; --muted: #5b6478; --line: #d9dde6; --bg: #f6f7fa; --accent: #2f5bd3; --deny: #b3261e; --hold: #a05a00; --ok: #1e7b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; letter-spacing: .02em; }
header nav a { margin-right: 14px; color: var(--muted); text-decoration: none; }
header nav a.current { color: var(--fg); font-weight: 600; }
header form { margin-left: auto; }
main { padding: 20px 24px; max-width: 1280px; }
h1 { font-size: 20px; margin: 0 0 16px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .n { font-size: 22px; font-weight: 700; }
.card .label { color: var(--muted); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f5; font-weight: 600; }
td.mono, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; background: #fff; border: 1px solid var(--line); padding: 10px; max-height: 420px; overflow: auto; }
mark { background: #ffe08a; }
.deny { color: var(--deny); font-weight: 600; }
.quarantine, .pending { color: var(--hold); font-weight: 600; }
.allow, .approved { color: var(--ok); }
.rejected, .expired { color: var(--deny); }
form.inline { display: inline; }
input[type=text], input[type=password], select { padding: 5px 8px; border: 1px solid var(--line); border-radius: 4px; }
button { padding: 5px 12px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--deny); border-color: var(--deny); }
.filters { display: flex; gap: 8px; align-items: center; margin: 12px 0; flex-wrap: wrap; }
.notice { padding: 8px 12px; background: #fff7e0; border: 1px solid #f0d58a; border-radius: 6px; margin-bottom: 12px; }
.error { padding: 8px 12px; background: #fdecea; border: 1px solid #f3b8b2; border-radius: 6px; margin-bottom: 12px; }
.login { max-width: 360px; margin: 80px auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 24px; }
.login input { width: 100%; margin: 8px 0 12px; }
svg.chart { background: #fff; border: 1px solid var(--line); }
svg.chart text { font-size: 10px; fill: var(--muted); }
.muted { color: var(--muted); }
`;

export const DASHBOARD_JS = `
(() => {
  const table = document.getElementById('live-events');
  if (!table) return;
  const body = table.querySelector('tbody');
  const status = document.getElementById('live-status');
  const source = new EventSource('/dashboard/events/stream' + window.location.search);
  const MAX_ROWS = 200;
  source.onopen = () => { status.textContent = 'connected'; };
  source.onerror = () => { status.textContent = 'reconnecting…'; };
  source.addEventListener('audit', (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    const row = document.createElement('tr');
    const cells = [new Date(event.ts).toISOString(), event.agent || '', (event.backend || '') + (event.tool ? '/' + event.tool : ''), event.method, event.decision, event.reason || '', event.latency_ms == null ? '' : event.latency_ms.toFixed(1) + ' ms'];
    cells.forEach((text, i) => {
      const cell = document.createElement('td');
      cell.textContent = String(text);
      if (i === 4) cell.className = String(event.decision);
      row.appendChild(cell);
    });
    row.className = 'live-row';
    body.insertBefore(row, body.firstChild);
    while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
  });
})();
`;
