/** Loads the config for a command, printing every problem (file:line each) on failure. */
import { readFileSync } from 'node:fs';
import { formatProblem, parseConfigText } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CliIo } from './io.js';

export function loadConfigForCli(file: string, io: CliIo): Config | undefined {
  return loadConfigWithText(file, io)?.config;
}

/** Also returns the text the config was read from (the live-reload watcher compares against it). */
export function loadConfigWithText(file: string, io: CliIo): { config: Config; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    io.err(`${file}: cannot read the config file: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
  const result = parseConfigText(text, file, io.env);
  if (!result.ok) {
    for (const problem of result.errors) io.err(`${formatProblem(problem)}\n`);
    return undefined;
  }
  for (const warning of result.warnings) io.err(`warning: ${warning}\n`);
  return { config: result.config, text };
}
