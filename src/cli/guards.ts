/**
 * `portcullis guards list | test GUARD.wasm --input CASE.json [--guard-config JSON]`: what the guard chain is, and
 * one guard run on a case with the production runtime and limits.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { compareCase, parseCaseFile, runGuardInput } from '../guard-runtime/guard-cases.js';
import { GuardHost, type GuardStatusRow } from '../guard-runtime/guard-host.js';
import { createLogger } from '../observability/logger.js';
import { callAdmin } from './admin-client.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const GUARDS_HELP = `Usage: portcullis guards list [--json] [--reviewer NAME]
       portcullis guards test GUARD.wasm --input CASE.json [--guard-config JSON]

  list   every guard in guards.dir: name, priority, phases, sha256, status (active, benched or refused, with why),
         calls, failures and p50 latency. With a gateway running, this is its live chain (through the admin API);
         without one, the directory is loaded and described the way the gateway would.
  test   runs one guard on CASE.json with the production runtime and limits (worker, timeout, memory, output
         checks). The guard's manifest is GUARD.guard.yaml beside it (a missing one means the
         defaults, with a warning: the gateway refuses a guard without one).
         CASE.json is one input envelope ({"phase": "request", "tool": ..., "arguments": {...}}), or a list of
         cases [{"name", "input", "config"?, "expect": {"decision", "code"?, "labels"?, "redactions"?}}];
         with a list, every case is checked and the command exits 1 when any fails.

Exit codes: 0 success; 1 a refused guard (list, test), a failed case, a guard failure on a single envelope (a deny
is an answer, not a failure), or an unreadable file; 2 a usage error.

Options:
  --input FILE         (test) the case file
  --guard-config JSON  (test) the guard's config, instead of the manifest's and every case's
  --json               (list) one JSON object per line
  --config FILE        config file (default config/portcullis.yaml)
`;

export async function runGuards(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { json: { type: 'boolean' }, reviewer: { type: 'string' }, input: { type: 'string' }, 'guard-config': { type: 'string' } },
    2,
  );
  if (values.help) return io.out(GUARDS_HELP), EXIT.ok;
  const [sub, target] = positionals;
  if (sub === 'list') {
    if (target) throw new UsageError(`unexpected argument: ${target}`);
    return listGuards(values, io);
  }
  if (sub === 'test') {
    if (!target) throw new UsageError('test takes a guard .wasm file');
    if (typeof values.input !== 'string') throw new UsageError('test needs --input CASE.json');
    return testGuard(target, values.input, values['guard-config'] as string | undefined, io);
  }
  throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand (list or test)');
}

async function listGuards(values: Parameters<typeof configPathFrom>[0], io: CliIo): Promise<number> {
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  const live = await callAdmin(config, values.reviewer as string | undefined, { method: 'GET', path: '/v1/admin/guards' });
  let rows: readonly GuardStatusRow[];
  if (live.kind === 'ok') rows = (live.body as { guards: GuardStatusRow[] }).guards;
  else {
    if (live.kind === 'failed') io.err(`warning: ${live.message}; showing the directory as it would load\n`);

    const host = new GuardHost({ dir: config.guards.dir, workers: 1, logger: cliLogger(io, 'warn'), watch: false });
    try {
      await host.reload();
      rows = host.status();
    } finally {
      await host.close();
    }
  }
  // Each JSON line says where it comes from, as the text summary does.
  const source = live.kind === 'ok' ? 'gateway' : 'directory';
  for (const row of rows) io.out(values.json ? `${JSON.stringify({ ...row, source })}\n` : describeRow(row));
  if (!values.json) {
    const why = live.kind === 'failed' ? 'the running gateway could not be asked' : 'no gateway running';
    const where = live.kind === 'ok' ? 'the running gateway' : `${config.guards.dir} (${why}: no calls yet)`;
    io.out(rows.length === 0 ? `No guards in ${config.guards.dir}.\n` : `${rows.length} guard(s), from ${where}\n`);
  }
  return rows.some((r) => r.status === 'refused') ? EXIT.userError : EXIT.ok;
}

function describeRow(row: GuardStatusRow): string {
  const failures = Object.entries(row.failures).map(([kind, n]) => `${kind} ${n}`).join(', ') || '0';
  const head =
    row.status === 'refused'
      ? `${row.name.padEnd(20)} refused\n`
      : `${row.name.padEnd(20)} ${row.status.padEnd(8)} priority ${String(row.priority).padEnd(6)} ${(row.phases ?? []).join(',').padEnd(24)} ` +
        `sha256 ${row.sha256?.slice(0, 12)}…  calls ${row.calls}  failures ${failures}  p50 ${row.p50_ms === null ? '-' : `${row.p50_ms} ms`}\n`;
  return head + row.problems.map((p) => `    ${p}\n`).join('');
}

async function testGuard(wasm: string, inputFile: string, guardConfig: string | undefined, io: CliIo): Promise<number> {
  if (!wasm.endsWith('.wasm')) throw new UsageError(`${wasm}: expected a .wasm file`);
  if (!existsSync(wasm)) return io.err(`${wasm}: no such file\n`), EXIT.userError;
  let config: unknown;
  if (guardConfig !== undefined) {
    try {
      config = JSON.parse(guardConfig);
    } catch (error) {
      throw new UsageError(`--guard-config is not JSON: ${(error as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(inputFile, 'utf8');
  } catch (error) {
    return io.err(`${inputFile}: ${(error as Error).message}\n`), EXIT.userError;
  }
  const parsed = parseCaseFile(text);
  if ('problem' in parsed) return io.err(`${inputFile}: ${parsed.problem}\n`), EXIT.userError;

  // The guard runs alone, from a private copy of its two files, exactly as the gateway would load it.
  const name = basename(wasm, '.wasm');
  const manifest = join(dirname(wasm), `${name}.guard.yaml`);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-guard-test-'));
  const host = new GuardHost({ dir, workers: 1, logger: cliLogger(io, 'info'), watch: false });
  try {
    copyFileSync(wasm, join(dir, `${name}.wasm`));
    if (existsSync(manifest)) copyFileSync(manifest, join(dir, `${name}.guard.yaml`));
    else {
      io.err(`warning: no ${name}.guard.yaml beside ${wasm}: testing with the default manifest; the gateway refuses a guard without one\n`);
      writeFileSync(join(dir, `${name}.guard.yaml`), `name: ${name}\n`);
    }
    await host.reload();
    const refused = host.status().find((r) => r.status === 'refused');
    if (refused || host.status().length === 0) {
      io.err(`${wasm}: refused\n${(refused?.problems ?? ['did not load']).map((p) => `  ${p}\n`).join('')}`);
      return EXIT.userError;
    }
    if ('input' in parsed) {
      const { verdict, ms } = await runGuardInput(host, name, parsed.input, config);
      io.out(`${JSON.stringify({ ...verdict, ms: Math.round(ms * 1000) / 1000 }, null, 2)}\n`);
      return verdict.failures.length > 0 ? EXIT.userError : EXIT.ok;
    }
    let failed = 0;
    for (const testCase of parsed.cases) {
      const { verdict } = await runGuardInput(host, name, testCase.input, config ?? testCase.config);
      const problems = compareCase(testCase.expect, verdict);
      if (problems.length > 0) failed++;
      io.out(problems.length === 0 ? `PASS ${testCase.name}\n` : `FAIL ${testCase.name}\n${problems.map((p) => `  ${p}\n`).join('')}`);
    }
    io.out(`${parsed.cases.length} case(s): ${failed === 0 ? 'all pass' : `${failed} failed`}\n`);
    return failed === 0 ? EXIT.ok : EXIT.userError;
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Messages this command reports itself, in its own words (the log's version would name the private copy). */
const REPORTED = new Set(['guards refused', 'guards loaded']);

/**
 * Guard logs and failures go to stderr as plain lines (the JSON gateway log is for `serve`). Field values are
 * JSON-quoted: a guard's log text is the guard's, and must not reach the terminal as control sequences.
 */
function cliLogger(io: CliIo, level: 'info' | 'warn'): ReturnType<typeof createLogger> {
  return createLogger({
    level,
    write: (line) => {
      const { ts: _ts, level: lineLevel, msg, ...fields } = JSON.parse(line) as { ts: string; level: string; msg: string } & Record<string, unknown>;
      if (REPORTED.has(msg)) return;
      const detail = Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ');
      io.err(`${lineLevel}: ${msg}${detail ? ` ${detail}` : ''}\n`);
    },
  });
}
