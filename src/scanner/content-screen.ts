/**
 * Rules over what backends say outside tool calls: server instructions (`initialize`, surface
 * `server_instructions`) and sampling requests a backend sends to a client's model (surface `sampling`). Neither can
 * wait for a person, so a finding that asks for quarantine withholds them like a block does.
 */
import type { ActionPolicy } from './actions.js';
import { judge } from './judge.js';
import type { Surface } from './rule-schema.js';
import type { RuleSet } from './rule-set.js';

export type Screened = { readonly blocked: false } | { readonly blocked: true; readonly rules: readonly string[] };

export interface ContentScreen {
  /** Whether a backend's server instructions may be shown to `agent`. */
  instructions(backend: string, text: string, agent: string): Screened;
  /** Whether a backend's `sampling/createMessage` may go to `agent`'s client. */
  sampling(backend: string, params: unknown, agent: string): Screened;
}

export interface ContentScreenDeps {
  readonly ruleSet: () => RuleSet;
  readonly scanConfig: () => { readonly actions: ActionPolicy; readonly maxScanBytes: number; readonly oversizeAction: Parameters<typeof judge>[0]['oversizeAction'] };
  readonly onEvent: (method: string, fields: { backend: string; agent: string; detail: string }) => void;
}

export function createContentScreen(deps: ContentScreenDeps): ContentScreen {
  const screen = (surface: Surface, method: string, backend: string, value: unknown, agent: string): Screened => {
    const judged = judge({ rules: deps.ruleSet(), ...deps.scanConfig() }, value, surface, { agent, target: { backend, kind: 'tool', name: '' } });
    if (judged.verdict !== 'quarantine' && judged.verdict !== 'block') return { blocked: false };
    const rules = [...new Set(judged.findings.filter((f) => f.action === 'quarantine' || f.action === 'block').map((f) => f.rule))];
    deps.onEvent(method, { backend, agent, detail: `withheld: ${rules.join(', ')}` });
    return { blocked: true, rules };
  };
  return {
    instructions: (backend, text, agent) => screen('server_instructions', 'instructions.withheld', backend, text, agent),
    sampling: (backend, params, agent) => screen('sampling', 'sampling.blocked', backend, params, agent),
  };
}
