/** `portcullis logs`: reads the audit log, filtered; `--json` prints one JSON object per line. */
import { existsSync } from 'node:fs';
import { createSqliteAuditLog } from '../store/audit-log.js';
import { formatAuditRowJson, formatAuditRowText } from '../store/logs-format.js';
import { openDatabase } from '../store/open-database.js';
import { parseSince } from '../store/parse-since.js';
import type { AuditDecision, AuditQuery } from '../store/types.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const LOGS_HELP = `Usage: portcullis logs [--agent A] [--decision D] [--backend B] [--tool T] [--since 1h] [--limit N] [--json]

Shows the most recent audit rows (oldest first).

Options:
  --agent A      only rows of agent A
  --decision D   allow | deny | quarantine | event
  --backend B    only rows for backend B
  --tool T       a bare tool name, or <backend>/<name>
  --since S      30s, 15m, 1h, 7d, or an ISO-8601 time
  --limit N      at most N rows (default 100, at most 10000)
  --json         one JSON object per line (the audit row)
  --config FILE  config file (default config/portcullis.yaml)
`;

const DECISIONS: readonly AuditDecision[] = ['allow', 'deny', 'quarantine', 'event'];

export async function runLogs(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    agent: { type: 'string' },
    decision: { type: 'string' },
    backend: { type: 'string' },
    tool: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return io.out(LOGS_HELP), EXIT.ok;
  const query = queryFrom(values);
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  if (!existsSync(config.storage.sqlite)) {
    io.err(`no audit log at ${config.storage.sqlite} (has the gateway run with this config?)\n`);
    return EXIT.userError;
  }
  const db = openDatabase(config.storage.sqlite);
  try {
    const log = createSqliteAuditLog(db, { maxPayloadBytes: config.audit.max_payload_bytes });
    const format = values.json ? formatAuditRowJson : formatAuditRowText;
    for (const row of log.query(query)) io.out(`${format(row)}\n`);
    await log.close();
  } finally {
    db.close();
  }
  return EXIT.ok;
}

function queryFrom(values: Record<string, unknown>): AuditQuery {
  const decision = values.decision as string | undefined;
  if (decision !== undefined && !DECISIONS.includes(decision as AuditDecision)) {
    throw new UsageError(`--decision must be one of ${DECISIONS.join(', ')}`);
  }
  let since: number | undefined;
  if (typeof values.since === 'string') {
    try {
      since = parseSince(values.since, Date.now());
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
    throw new UsageError('--limit must be a whole number from 1 to 10000');
  }
  return {
    agent: values.agent as string | undefined,
    decision: decision as AuditDecision | undefined,
    backend: values.backend as string | undefined,
    tool: values.tool as string | undefined,
    since,
    limit,
  };
}
