/** Loads the config and its rules for a command, printing every problem (file:line each) on failure. */
import type { Config } from '../config/schema.js';
import { createActionPolicy } from '../scanner/actions.js';
import type { JudgeOptions } from '../scanner/judge.js';
import { formatRuleProblem } from '../scanner/rule-source.js';
import { loadRuleDirs } from '../scanner/load-rules.js';
import { createRuleSet } from '../scanner/rule-set.js';
import type { CliIo } from './io.js';
import { loadConfigForCli } from './load-config.js';

export interface CliRules {
  readonly config: Config;
  readonly judge: JudgeOptions;
  readonly files: readonly string[];
}

export function loadRulesForCli(file: string, io: CliIo): CliRules | undefined {
  const config = loadConfigForCli(file, io);
  if (!config) return undefined;
  const loaded = loadRuleDirs(config.rules.dirs);
  if (loaded.problems.length > 0) {
    for (const problem of loaded.problems) io.err(`${formatRuleProblem(problem)}\n`);
    return undefined;
  }
  return {
    config,
    files: loaded.files,
    judge: {
      rules: createRuleSet(loaded.rules),
      actions: createActionPolicy(config),
      maxScanBytes: config.rules.max_scan_bytes,
      oversizeAction: config.rules.oversize_action,
    },
  };
}
