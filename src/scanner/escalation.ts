/**
 * Escalation (DESIGN.md §4): an agent with `rules.escalation.after` blocked or quarantined calls within
 * `window_s` has its flag and quarantine actions raised one step. Kept in memory, bounded: per agent only the last
 * `after` times are needed, and at most `maxAgents` agents are remembered (the oldest forgotten first).
 */

export interface EscalationTracker {
  /** Records a blocked or quarantined call of `agent`. */
  note(agent: string, now?: number): void;
  /** Whether `agent` has reached `after` such calls within the last `windowS` seconds. */
  isEscalated(agent: string, limits: { after: number; windowS: number }, now?: number): boolean;
}

/** Most times kept per agent (escalation.after above this counts as this). */
const MAX_TIMES = 1_000;

export function createEscalationTracker(options: { maxAgents?: number } = {}): EscalationTracker {
  const maxAgents = options.maxAgents ?? 100_000;
  const times = new Map<string, number[]>();
  return {
    note(agent, now = Date.now()) {
      const list = times.get(agent) ?? [];
      times.delete(agent);
      list.push(now);
      if (list.length > MAX_TIMES) list.shift();
      times.set(agent, list);
      if (times.size > maxAgents) times.delete(times.keys().next().value as string);
    },
    isEscalated(agent, { after, windowS }, now = Date.now()) {
      const list = times.get(agent);
      if (!list) return false;
      const need = Math.min(after, MAX_TIMES);
      if (list.length < need) return false;
      return (list[list.length - need] as number) > now - windowS * 1000;
    },
  };
}
