/** `portcullis keys list | rotate | revoke --agent NAME`: through the running gateway, or on the stored state. */
import type { Config } from '../config/schema.js';
import { AGENT_NAME } from '../config/schema.js';
import { createKeyOperations, type KeyView } from '../key-operations.js';
import { createKeyStateStore } from '../store/key-state-store.js';
import { loadKeyDir } from '../identity/key-files.js';
import { callAdmin } from './admin-client.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';
import { cliReviewer, recordCliEvent, withStoredState } from './stored-state.js';

export const KEYS_HELP = `Usage: portcullis keys list [--agent NAME] [--json]
       portcullis keys rotate --agent NAME [--reviewer NAME]
       portcullis keys revoke --agent NAME [--fingerprint FP] [--reviewer NAME]

rotate   writes a new key pair for NAME into identity.keys_dir (NAME.key, mode 0600, for the agent; NAME.pub); the
         old key keeps working for identity.rotation_grace_s, so the agent can switch over without failing.
revoke   refuses NAME's current key (or the key --fingerprint names) from the next request on.
With a gateway running, the change goes through its admin API (a token from admin.tokens; --reviewer picks which, and
its name is recorded). With no gateway running, the stored state changes and applies at the next start.
`;

export async function runKeys(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { agent: { type: 'string' }, fingerprint: { type: 'string' }, reviewer: { type: 'string' }, json: { type: 'boolean' } },
    1,
  );
  if (values.help) return (io.out(KEYS_HELP), EXIT.ok);
  const [action] = positionals;
  if (action !== 'list' && action !== 'rotate' && action !== 'revoke') throw new UsageError('expected list, rotate or revoke');
  const agent = values.agent as string | undefined;
  if (agent !== undefined && !AGENT_NAME.test(agent)) throw new UsageError(`invalid agent name: ${agent}`);
  if (action !== 'list' && agent === undefined) throw new UsageError(`${action} needs --agent NAME`);
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  const reviewer = values.reviewer as string | undefined;
  const fingerprint = values.fingerprint as string | undefined;

  const request =
    action === 'list'
      ? { method: 'GET' as const, path: '/v1/admin/keys' }
      : { method: 'POST' as const, path: `/v1/admin/keys/${agent}/${action}`, body: { fingerprint } };
  const viaGateway = await callAdmin(config, reviewer, request);
  if (viaGateway.kind === 'failed') return (io.err(`${viaGateway.message}\n`), EXIT.userError);
  const result = viaGateway.kind === 'ok' ? { ok: true as const, body: viaGateway.body } : await onStoredState(config, action, agent, fingerprint, reviewer);
  if (!result.ok) return (io.err(`${result.problem}\n`), EXIT.userError);
  if (action === 'list') {
    const views = (result.body as { keys: KeyView[] }).keys.filter((v) => agent === undefined || v.agent === agent);
    for (const view of views) io.out(values.json ? `${JSON.stringify(view)}\n` : `${describeView(view)}\n`);
  } else {
    io.out(values.json ? `${JSON.stringify(result.body)}\n` : `${action === 'rotate' ? 'rotated' : 'revoked'}: ${JSON.stringify(result.body)}\n`);
    if (viaGateway.kind === 'no_gateway') io.out('No gateway is running: the change applies at its next start.\n');
  }
  return EXIT.ok;
}

async function onStoredState(
  config: Config,
  action: 'list' | 'rotate' | 'revoke',
  agent: string | undefined,
  fingerprint: string | undefined,
  reviewer: string | undefined,
): Promise<{ ok: true; body: unknown } | { ok: false; problem: string }> {
  return withStoredState(config, async (db) => {
    const store = createKeyStateStore(db);
    const ops = createKeyOperations({ keysDir: config.identity.keys_dir, store, graceS: () => config.identity.rotation_grace_s });
    if (action === 'list' || agent === undefined) {
      const onDisk = (await loadKeyDir(config.identity.keys_dir)).keys;
      const agents = new Set([...onDisk.keys(), ...store.list().map((r) => r.agent)]);
      return { ok: true, body: { keys: await Promise.all([...agents].sort().map((a) => ops.view(a))) } };
    }
    const by = cliReviewer(reviewer);
    const outcome = action === 'rotate' ? await ops.rotate(agent, by) : await ops.revoke(agent, fingerprint, by);
    if (!outcome.ok) return outcome;
    const method = action === 'rotate' ? 'key.rotated' : 'key.revoked';
    await recordCliEvent(db, config, { method, agent, detail: `by ${by}: ${JSON.stringify(outcome.value)}` });
    return { ok: true, body: outcome.value };
  });
}

function describeView(view: KeyView): string {
  const parts = [`current ${view.current ?? '(none)'}`];
  if (view.previous) parts.push(`previous ${view.previous.fingerprint} until ${view.previous.valid_until}`);
  if (view.revoked.length > 0) parts.push(`revoked ${view.revoked.join(', ')}`);
  return `${view.agent.padEnd(24)} ${parts.join('; ')}`;
}
