/**
 * `portcullis quarantine list [--json] [--status S] | show ID | approve ID | reject ID [--reason TEXT]`: the review
 * queue, through the running gateway's admin API (DESIGN.md §4). A held client that is still waiting gets its answer
 * the moment the decision is made.
 */
import type { QuarantineView } from '../http/admin-quarantine.js';
import { callAdmin } from './admin-client.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const QUARANTINE_HELP = `Usage: portcullis quarantine list [--json] [--status pending|approved|rejected|expired]
       portcullis quarantine show ID [--json]
       portcullis quarantine approve ID [--reason TEXT]
       portcullis quarantine reject ID [--reason TEXT]

Calls held for a person: by an approval policy (approval.require, agents.<name>.approval), a rule or a guard. A held
request has not run; a held response has run and its result is kept. While the client still waits (up to
quarantine.hold_s) an approval releases the call at once; after that, it lets one identical retry through within
quarantine.approval_ttl_s. A rejection's reason is shown to the client. Items expire after quarantine.expiry_h.

Every command goes through the running gateway's admin API with a token from admin.tokens (--reviewer picks which;
its name is recorded with the decision). A reviewer cannot decide an item held for an agent of the same name.

Options:
  --status S       (list) only items in this state (default: all, newest first)
  --reason TEXT    (approve, reject) why; a rejection's reason reaches the held client
  --json           one JSON object per line
  --reviewer NAME  which admin token to use
  --config FILE    config file (default config/portcullis.yaml)
`;

const ID = /^q_[0-9a-f]{24}$/;
const STATUSES = ['pending', 'approved', 'rejected', 'expired'];

export async function runQuarantine(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { reviewer: { type: 'string' }, json: { type: 'boolean' }, reason: { type: 'string' }, status: { type: 'string' } },
    2,
  );
  if (values.help) return io.out(QUARANTINE_HELP), EXIT.ok;
  const [action, id] = positionals;
  const request = requestFor(action, id, values);
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  const result = await callAdmin(config, values.reviewer as string | undefined, request);
  if (result.kind === 'no_gateway') {
    io.err('No gateway is running: held calls are reviewed through the running gateway (portcullis serve).\n');
    return EXIT.userError;
  }
  if (result.kind === 'failed') return io.err(`${result.message}\n`), EXIT.userError;
  const items = action === 'list' ? (result.body as { items: QuarantineView[] }).items : [result.body as QuarantineView];
  for (const item of items) io.out(values.json ? `${JSON.stringify(item)}\n` : action === 'show' ? describeDetail(item) : describeLine(item));
  if (action === 'list' && items.length === 0 && !values.json) io.out('No held calls.\n');
  return EXIT.ok;
}

function requestFor(
  action: string | undefined,
  id: string | undefined,
  values: Record<string, unknown>,
): { method: 'GET' | 'POST'; path: string; body?: unknown } {
  if (action === 'list') {
    if (id !== undefined) throw new UsageError(`unexpected argument: ${id}`);
    const status = values.status as string | undefined;
    if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    return { method: 'GET', path: `/v1/quarantine${status ? `?status=${status}` : ''}` };
  }
  if (action !== 'show' && action !== 'approve' && action !== 'reject') throw new UsageError('expected list, show, approve or reject');
  if (id === undefined || !ID.test(id)) throw new UsageError(`${action} needs an item id like q_0123456789abcdef01234567 (portcullis quarantine list shows them)`);
  if (action === 'show') return { method: 'GET', path: `/v1/quarantine/${id}` };
  const reason = values.reason as string | undefined;
  return { method: 'POST', path: `/v1/quarantine/${id}/${action}`, body: reason === undefined ? {} : { reason } };
}

function describeLine(item: QuarantineView): string {
  const target = `${item.backend ?? '-'}/${item.tool ?? '-'}`;
  const decided = item.decided_by ? `  by ${item.decided_by}${item.review_reason ? `: ${oneLine(item.review_reason)}` : ''}` : '';
  return `${item.id}  ${item.status.padEnd(8)} ${item.created_at}  ${item.agent}  ${target}  held ${item.held} (${item.held_stage})${decided}\n`;
}

function describeDetail(item: QuarantineView): string {
  const lines = [
    describeLine(item).trimEnd(),
    `  method:   ${item.method}`,
    `  reason:   ${item.reason}`,
    ...item.findings.map((f) => `  finding:  ${oneLine(JSON.stringify(f))}`),
    `  payload:  ${oneLine(JSON.stringify(item.payload ?? null)).slice(0, 2_000)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Held payloads and reasons come from agents and backends: one line, control characters escaped. */
function oneLine(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
