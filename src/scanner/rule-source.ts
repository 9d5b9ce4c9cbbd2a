/**
 * The running rule set and its live reload: the rules directories are watched, and a save that loads cleanly swaps
 * the whole set at once; a broken file keeps the running set and is reported (file:line each). Scans that started
 * on the old set finish on it (a set is an immutable value).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatProblem } from '../config/describe.js';
import { type DirectoryWatch, watchDirectory } from '../watch-directory.js';
import { type LoadedRules, type RuleProblem, loadRuleDirs } from './load-rules.js';
import { EMPTY_RULE_SET, type RuleSet, createRuleSet } from './rule-set.js';

export type RuleReload =
  | { readonly kind: 'applied'; readonly rules: number; readonly files: number }
  | { readonly kind: 'rejected'; readonly problems: readonly string[] };

export interface RuleSource {
  current(): RuleSet;
  /** The problems that kept the last edit out, or [] when the running set is what the files say. */
  problems(): readonly string[];
  /** Re-reads the directories now (the watcher calls this; so may tests). */
  check(): RuleReload | undefined;
  close(): void;
}

export interface RuleSourceOptions {
  readonly dirs: readonly string[];
  readonly onReload?: (outcome: RuleReload) => void;
  readonly debounceMs?: number;
  /** Watch the directories for edits (the gateway does; the CLI does not). */
  readonly watch?: boolean;
}

/** `file:line:col: path: message`. */
export function formatRuleProblem(problem: RuleProblem): string {
  return formatProblem(problem);
}

/** Loads the rules now; throws when they do not load (start-up refuses a broken rules directory). */
export function openRuleSource(options: RuleSourceOptions): RuleSource {
  const first = loadRuleDirs(options.dirs);
  if (first.problems.length > 0) throw new RuleLoadError(first.problems.map(formatRuleProblem));
  let set: RuleSet = first.rules.length > 0 ? createRuleSet(first.rules) : EMPTY_RULE_SET;
  let fingerprint = fingerprintOf(first);
  let problems: readonly string[] = [];
  const watchers: DirectoryWatch[] = [];

  const check = (): RuleReload | undefined => {
    const loaded = loadRuleDirs(options.dirs);
    const next = fingerprintOf(loaded);
    if (next === fingerprint) return undefined;
    fingerprint = next;
    let outcome: RuleReload;
    if (loaded.problems.length > 0) {
      problems = loaded.problems.map(formatRuleProblem);
      outcome = { kind: 'rejected', problems };
    } else {
      set = createRuleSet(loaded.rules);
      problems = [];
      outcome = { kind: 'applied', rules: loaded.rules.length, files: loaded.files.length };
    }
    options.onReload?.(outcome);
    return outcome;
  };

  if (options.watch) {
    // A directory that cannot be watched still loaded; edits to it need a restart (reported at start).
    for (const dir of options.dirs) watchers.push(watchDirectory(dir, () => void check(), { debounceMs: options.debounceMs ?? 100 }));
  }

  return {
    current: () => set,
    problems: () => problems,
    check,
    close() {
      for (const watcher of watchers) watcher.close();
    },
  };
}

export class RuleLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the rules do not load:\n${problems.join('\n')}`);
  }
}

/** What the loaded files said: an edit that changes nothing (a touch, a save of the same text) is not re-applied. */
function fingerprintOf(loaded: LoadedRules): string {
  const hash = createHash('sha256');
  for (const file of loaded.files) {
    hash.update(file);
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('\u0000missing');
    }
  }
  for (const problem of loaded.problems) hash.update(formatRuleProblem(problem));
  return hash.digest('hex');
}
