/** Loads the config for a command, printing every problem (file:line each) on failure. */
import { formatProblem, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CliIo } from './io.js';

export function loadConfigForCli(file: string, io: CliIo): Config | undefined {
  const result = loadConfig(file, io.env);
  if (!result.ok) {
    for (const problem of result.errors) io.err(`${formatProblem(problem)}\n`);
    return undefined;
  }
  for (const warning of result.warnings) io.err(`warning: ${warning}\n`);
  return result.config;
}
