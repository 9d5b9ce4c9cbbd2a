/**
 * What the bench's gateway path runs, checked rather than assumed. Before measuring: the gateway refuses an unsigned
 * request (-32081) and a signed call of a tool the agent is not allowed (-32083), so signatures and the ACL are on.
 * After measuring: the gateway's own audit log is read back, every measured echo call in it must be the agent's,
 * signature-verified, allowed and forwarded, and the stages recorded on those rows are the ones reported.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSqliteAuditLog } from '../src/store/audit-log.js';
import { openDatabase } from '../src/store/open-database.js';
import type { RequestSigner } from './lib/identity.js';
import { JsonRpcError, openRawSession } from './lib/raw-client.js';

/** The request stages of DESIGN.md §2 in pipeline order (src/pipeline/stages.ts), before `forward`. */
export const DESIGN_REQUEST_STAGES = [
  'limit-source',
  'verify-signature',
  'check-suspension',
  'rate-limit',
  'check-acl',
  'check-approval',
  'scan-rules',
  'run-guards',
] as const;

/** A tool of the backend that the bench agent is not allowed (the config allows `everything/echo` only). */
const DENIED_TOOL = { name: 'everything__get-sum', arguments: { a: 1, b: 2 } };
/** Audit rows read back: the most recent ones of the agent. */
const ROWS_READ = 2_000;

export interface PipelineResult {
  /** The agent every gateway call was signed as. */
  readonly agent: string;
  /** Request stages recorded on every checked row, in the order they ran. */
  readonly stages: readonly string[];
  /** DESIGN.md §2 request stages this build did not run. */
  readonly notRun: readonly string[];
  /** Measured echo calls read back from the audit log and checked. */
  readonly rowsChecked: number;
  /** Files in the repository's rules/ that the gateway was given. */
  readonly ruleFiles: number;
  /** The guards the gateway ran. */
  readonly guards: readonly string[];
}

/** Fails unless the gateway at `url` refuses an unsigned initialize and a signed call outside the agent's allow list. */
export async function checkGatewayRefuses(url: string, signer: RequestSigner): Promise<void> {
  await expectDenial(-32081, 'an unsigned initialize', () => openRawSession(url, { clientName: 'bench-unsigned' }));
  const session = await openRawSession(url, { signer, clientName: 'bench-preflight' });
  try {
    await expectDenial(-32083, `a signed call of ${DENIED_TOOL.name}`, () =>
      session.request('tools/call', DENIED_TOOL),
    );
  } finally {
    await session.close();
  }
}

async function expectDenial(code: number, what: string, attempt: () => Promise<unknown>): Promise<void> {
  try {
    await attempt();
  } catch (error) {
    if (error instanceof JsonRpcError && error.code === code) return;
    throw new Error(`gateway preflight: ${what} should be refused with ${code}, got: ${String(error)}`);
  }
  throw new Error(`gateway preflight: ${what} should be refused with ${code}, but it was answered`);
}

/**
 * Reads the gateway's audit log (after it stopped) and checks the most recent echo calls of `agent`: every one
 * allowed, forwarded, without an error code, signature-verified, with the same stages. Returns those stages.
 */
export async function readPipeline(options: {
  readonly dbPath: string;
  readonly agent: string;
  readonly repoRoot: string;
  readonly guards: readonly string[];
  /** The least number of measured echo calls that must be in the log. */
  readonly minRows: number;
}): Promise<PipelineResult> {
  const db = openDatabase(options.dbPath);
  let rows;
  try {
    const log = createSqliteAuditLog(db, { maxPayloadBytes: 65_536 });
    rows = log.query({ agent: options.agent, limit: ROWS_READ });
    await log.close();
  } finally {
    db.close();
  }
  const calls = rows.filter((row) => row.kind === 'request' && row.method === 'tools/call' && row.tool === 'echo');
  const wanted = Math.min(options.minRows, ROWS_READ);
  if (calls.length < wanted)
    throw new Error(`gateway audit log: ${calls.length} echo calls of ${options.agent}, expected at least ${wanted}`);
  const [first] = calls;
  const stages = first?.stages.map((s) => s.stage) ?? [];
  for (const row of calls) {
    const rowStages = row.stages.map((s) => s.stage);
    const problem =
      row.decision !== 'allow'
        ? `decision ${row.decision} (${row.reason})`
        : !row.verified
          ? 'signature not verified'
          : !row.forwarded
            ? 'not forwarded'
            : row.errorCode !== null
              ? `error ${row.errorCode}`
              : rowStages.join(',') !== stages.join(',')
                ? `stages ${rowStages.join(', ')} instead of ${stages.join(', ')}`
                : row.stages.some((s) => s.outcome !== 'continue')
                  ? `stage outcomes ${JSON.stringify(row.stages)}`
                  : undefined;
    if (problem !== undefined) throw new Error(`gateway audit log row ${row.id} (echo of ${row.agent}): ${problem}`);
  }
  if (!stages.includes('verify-signature') || !stages.includes('check-acl'))
    throw new Error(`gateway audit log: the measured calls ran only ${stages.join(', ') || 'no stages'}`);
  return {
    agent: options.agent,
    stages,
    notRun: DESIGN_REQUEST_STAGES.filter((stage) => !stages.includes(stage)),
    rowsChecked: calls.length,
    ruleFiles: countFiles(join(options.repoRoot, 'rules')),
    guards: options.guards,
  };
}

/** Files (not starting with ".") under `dir`, recursively; 0 when it does not exist. */
function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
      (entry) => entry.isFile() && !entry.name.startsWith('.'),
    ).length;
  } catch {
    return 0;
  }
}

/** One sentence naming the stages, for the report and the terminal. */
export function describePipeline(pipeline: PipelineResult): string[] {
  const code = (names: readonly string[]): string => names.map((name) => `\`${name}\``).join(' → ');
  const list = (names: readonly string[]): string => names.map((name) => `\`${name}\``).join(', ');
  const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
  return [
    `Every measured gateway call ran the request stages ${code(pipeline.stages)}, then forward and the audit row ` +
      `(committed before the answer). Read back from the gateway's audit log: the last ${pipeline.rowsChecked} ` +
      `echo calls, each signed by agent \`${pipeline.agent}\`, signature verified, allowed and forwarded, every stage ` +
      '`continue`.',
    `${pipeline.notRun.length === 0 ? 'Every request stage of DESIGN.md §2 ran.' : `Not run, because this build does not have them yet: ${list(pipeline.notRun)}.`} ` +
      `The gateway was given the repository's rules/ (${files(pipeline.ruleFiles)}) and the shipped example ` +
      `guards turned on (${list(pipeline.guards)}; bench/guards.ts \`ACTIVE_EXAMPLE_GUARDS\`), which run on the ` +
      'request and on the response of every call.',
    'Before measuring, the gateway refused an unsigned `initialize` (-32081) and a signed call of a tool outside ' +
      "the agent's allow list (-32083). The direct and stack-floor paths are unsigned.",
  ];
}
