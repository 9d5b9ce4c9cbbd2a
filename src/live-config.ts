/**
 * Live config reload (DESIGN.md §4): which parts of a new config apply at once and which wait for a restart, and the
 * report of the last reload for /healthz and the log. Policy (mode, default_policy, agents, rate limits, approval,
 * rule overrides, quarantine, messages, webhooks, audit retention) applies live; listeners, storage, sessions,
 * backends, tool naming and the directories keep their running values until the gateway restarts.
 */
import { deepFreeze } from './config/deep-freeze.js';
import type { Config } from './config/schema.js';

/** Top-level sections that only a restart changes. */
export const RESTART_ONLY = ['server', 'admin', 'storage', 'sessions', 'tool_names', 'backends'] as const;

export interface MergedConfig {
  readonly config: Config;
  /** Restart-only sections the new file changes (not applied yet). */
  readonly pendingRestart: readonly string[];
}

/** The config to run after an edit: the new file with the restart-only sections of the running config. */
export function mergeReloadable(running: Config, next: Config): MergedConfig {
  const merged: Record<string, unknown> = { ...structuredClone(next) };
  const pendingRestart: string[] = [];
  for (const key of RESTART_ONLY) {
    if (JSON.stringify(running[key]) !== JSON.stringify(next[key])) pendingRestart.push(key);
    merged[key] = structuredClone(running[key]);
  }
  if (JSON.stringify(running.identity.keys_dir) !== JSON.stringify(next.identity.keys_dir)) pendingRestart.push('identity.keys_dir');
  if (JSON.stringify(running.rules.dirs) !== JSON.stringify(next.rules.dirs)) pendingRestart.push('rules.dirs');
  if (running.guards.dir !== next.guards.dir) pendingRestart.push('guards.dir');
  if (running.guards.workers !== next.guards.workers) pendingRestart.push('guards.workers');
  return { config: deepFreeze(merged as Config), pendingRestart };
}

/** What /healthz says about the config. */
export interface ConfigReport {
  readonly file: string | null;
  readonly loadedAt: string;
  readonly lastReload?: {
    readonly at: string;
    readonly status: 'applied' | 'rejected';
    readonly problems?: readonly string[];
    readonly pendingRestart?: readonly string[];
  };
}
