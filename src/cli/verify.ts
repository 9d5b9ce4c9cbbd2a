/** `portcullis verify`: checks a config and prints every problem, file:line each. */
import { assertRunnable } from '../gateway.js';
import { GatewayError } from '../errors.js';
import { GuardHost } from '../guard-runtime/guard-host.js';
import { createLogger } from '../observability/logger.js';
import { loadRuleDirs } from '../scanner/load-rules.js';
import { formatRuleProblem } from '../scanner/rule-source.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const VERIFY_HELP = `Usage: portcullis verify [--config FILE]

Checks the config file, the rules it names (every rule's examples run through the engine) and the guards in
guards.dir (manifest, sha256 pin, imports, memory maximum, guard_describe — each loaded the way the gateway would)
and prints every problem, file:line each.
Exits 0 when everything is valid, 1 when anything is not.
`;

export async function runVerify(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) return io.out(VERIFY_HELP), EXIT.ok;
  const file = configPathFrom(values, io.env);
  const config = loadConfigForCli(file, io);
  if (!config) return EXIT.userError;
  let ok = true;
  try {
    assertRunnable(config);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    for (const problem of error.problems) io.err(`${file}: ${problem}\n`);
    ok = false;
  }
  const rules = loadRuleDirs(config.rules.dirs);
  for (const problem of rules.problems) io.err(`${formatRuleProblem(problem)}\n`);
  const known = new Set(rules.rules.map((r) => r.rule.id));
  for (const override of config.rules.overrides) {
    if (!known.has(override.id)) io.err(`warning: ${file}: rules.overrides names ${override.id}, which no loaded rule has\n`);
  }
  const guards = await checkGuards(config.guards.dir);
  for (const problem of guards.problems) io.err(`${problem}\n`);
  if (!ok || rules.problems.length > 0 || guards.problems.length > 0) return EXIT.userError;
  io.out(
    `${file}: OK (${Object.keys(config.backends).length} backend(s), ${rules.rules.length} rule(s) from ${rules.files.length} file(s), ${guards.active} guard(s))\n`,
  );
  return EXIT.ok;
}

/** Loads the guards directory as the gateway would (in a worker, with describe) and reports what is refused. */
async function checkGuards(dir: string): Promise<{ active: number; problems: string[] }> {
  const host = new GuardHost({ dir, workers: 1, logger: createLogger({ level: 'error', write: () => undefined }), watch: false });
  try {
    await host.reload();
    const rows = host.status();
    const problems = rows.filter((r) => r.status === 'refused').flatMap((r) => r.problems.map((p) => `${r.file}: ${p}`));
    return { active: rows.filter((r) => r.status !== 'refused').length, problems };
  } catch (error) {
    return { active: 0, problems: [`${dir}: guards do not load: ${(error as Error).message}`] };
  } finally {
    await host.close();
  }
}
