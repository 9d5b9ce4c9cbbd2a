/** The agents an operator sees: everyone the YAML names or an operator touched, with where a suspension comes from. */
import type { Config } from './config/schema.js';
import type { AgentView } from './http/admin-agents.js';
import type { AgentStateStore } from './store/agent-state.js';

export function listAgents(config: Config, state: AgentStateStore): AgentView[] {
  const stored = new Map(state.list().map((record) => [record.agent, record]));
  const names = new Set([...Object.keys(config.agents), ...stored.keys()]);
  return [...names].sort().map((agent) => viewOf(agent, config, state));
}

export function viewOf(agent: string, config: Config, state: AgentStateStore): AgentView {
  const record = state.list().find((r) => r.agent === agent);
  const byConfig = config.agents[agent]?.suspended === true;
  const byOperator = record?.suspended === true;
  return {
    agent,
    suspended: byConfig || byOperator,
    suspended_by_config: byConfig,
    suspended_by_operator: byOperator,
    reason: record?.reason ?? null,
    updated_at: record ? new Date(record.updatedAt).toISOString() : null,
    updated_by: record?.updatedBy ?? null,
  };
}
