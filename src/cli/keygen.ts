/** `portcullis keygen --agent NAME [--out DIR]`: an Ed25519 key pair for an agent. */
import { writeKeyPair } from '../identity/key-files.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const KEYGEN_HELP = `Usage: portcullis keygen --agent NAME [--out DIR]

Writes NAME.key (PKCS#8 PEM, mode 0600: the agent's secret, give it only to the agent) and NAME.pub (SPKI PEM) into
DIR (default: identity.keys_dir of the config). The gateway loads NAME.pub from its keys_dir, live. Refuses to
overwrite an existing key.
`;

export async function runKeygen(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { agent: { type: 'string' }, out: { type: 'string' } });
  if (values.help) return (io.out(KEYGEN_HELP), EXIT.ok);
  if (typeof values.agent !== 'string') throw new UsageError('--agent NAME is required');
  let dir = values.out as string | undefined;
  if (dir === undefined) {
    const config = loadConfigForCli(configPathFrom(values, io.env), io);
    if (!config) return EXIT.userError;
    dir = config.identity.keys_dir;
  }
  const written = await writeKeyPair(dir, values.agent);
  if (!written.ok) return (io.err(`${written.problem}\n`), EXIT.userError);
  io.out(`${written.keyPath}  (private key, mode 0600)\n${written.pubPath}  (public key)\nfingerprint ${written.fingerprint}\n`);
  return EXIT.ok;
}
