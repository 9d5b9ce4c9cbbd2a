/** `portcullis agents list | suspend NAME | unsuspend NAME`: through the running gateway, or the stored state. */
import { AGENT_NAME, type Config } from '../config/schema.js';
import { listAgents, viewOf } from '../agents-view.js';
import type { AgentView } from '../http/admin-agents.js';
import { createAgentStateStore } from '../store/agent-state.js';
import { callAdmin } from './admin-client.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';
import { cliReviewer, recordCliEvent, withStoredState } from './stored-state.js';

export const AGENTS_HELP = `Usage: portcullis agents list [--json]
       portcullis agents suspend NAME [--reason TEXT] [--reviewer NAME]
       portcullis agents unsuspend NAME [--reviewer NAME]

Lists agents (from the config and operator state) and suspends or unsuspends one. With a gateway running, the change
goes through its admin API (a token from admin.tokens; --reviewer picks which, and its name is recorded) and applies to
the agent's next request. With no gateway running, the stored state changes and applies at the next start.
An agent is suspended if the config says so or an operator suspended it.
`;

export async function runAgents(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { reason: { type: 'string' }, reviewer: { type: 'string' }, json: { type: 'boolean' } },
    2,
  );
  if (values.help) return (io.out(AGENTS_HELP), EXIT.ok);
  const [action, name] = positionals;
  if (action !== 'list' && action !== 'suspend' && action !== 'unsuspend') throw new UsageError('expected list, suspend or unsuspend');
  if (action !== 'list' && (name === undefined || !AGENT_NAME.test(name))) throw new UsageError(`${action} needs a valid agent name`);
  if (action === 'list' && name !== undefined) throw new UsageError(`unexpected argument: ${name}`);
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  const reviewer = values.reviewer as string | undefined;

  const viaGateway =
    action === 'list'
      ? await callAdmin(config, reviewer, { method: 'GET', path: '/v1/admin/agents' })
      : await callAdmin(config, reviewer, { method: 'POST', path: `/v1/admin/agents/${name}/${action}`, body: { reason: values.reason } });
  if (viaGateway.kind === 'failed') return (io.err(`${viaGateway.message}\n`), EXIT.userError);
  const views =
    viaGateway.kind === 'ok'
      ? action === 'list'
        ? (viaGateway.body as { agents: AgentView[] }).agents
        : [viaGateway.body as AgentView]
      : await changeStoredState(config, action, name, values.reason as string | undefined, reviewer);
  for (const view of views) io.out(values.json ? `${JSON.stringify(view)}\n` : `${describeView(view)}\n`);
  if (viaGateway.kind === 'no_gateway' && action !== 'list') io.out('No gateway is running: the change applies at its next start.\n');
  return EXIT.ok;
}

async function changeStoredState(
  config: Config,
  action: 'list' | 'suspend' | 'unsuspend',
  name: string | undefined,
  reason: string | undefined,
  reviewer: string | undefined,
): Promise<AgentView[]> {
  return withStoredState(config, async (db) => {
    const state = createAgentStateStore(db);
    if (action === 'list' || name === undefined) return listAgents(config, state);
    const by = cliReviewer(reviewer);
    state.setSuspended(name, action === 'suspend', by, reason);
    const method = action === 'suspend' ? 'agent.suspended' : 'agent.unsuspended';
    await recordCliEvent(db, config, { method, agent: name, detail: `by ${by}${reason ? `: ${reason}` : ''}` });
    return [viewOf(name, config, state)];
  });
}

function describeView(view: AgentView): string {
  const why = view.suspended_by_config ? 'suspended (config)' : view.suspended_by_operator ? `suspended by ${view.updated_by}` : 'active';
  return `${view.agent.padEnd(24)} ${why}${view.reason ? ` — ${view.reason}` : ''}`;
}
