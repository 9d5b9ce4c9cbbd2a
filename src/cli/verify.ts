/** `portcullis verify`: checks a config and prints every problem, file:line each. */
import { assertRunnable } from '../gateway.js';
import { GatewayError } from '../errors.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const VERIFY_HELP = `Usage: portcullis verify [--config FILE]

Checks the config file (and, as they arrive, rules, guards and keys) and prints every problem, file:line each.
Exits 0 when everything is valid, 1 when anything is not.
`;

export async function runVerify(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) return io.out(VERIFY_HELP), EXIT.ok;
  const file = configPathFrom(values, io.env);
  const config = loadConfigForCli(file, io);
  if (!config) return EXIT.userError;
  try {
    assertRunnable(config);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    for (const problem of error.problems) io.err(`${file}: ${problem}\n`);
    return EXIT.userError;
  }
  io.out(`${file}: OK (${Object.keys(config.backends).length} backend(s))\n`);
  return EXIT.ok;
}
