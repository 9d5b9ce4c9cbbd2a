/** Argument parsing shared by every command: node's parseArgs in strict mode, turned into UsageErrors. */
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parseCommandArgs(argv: readonly string[], options: OptionSpec, maxPositionals = 0): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }) as Parsed;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument: ${parsed.positionals[maxPositionals]}`);
  }
  return parsed;
}

/** The config file: --config, then PORTCULLIS_CONFIG, then config/portcullis.yaml. */
export function configPathFrom(values: Parsed['values'], env: Readonly<Record<string, string | undefined>>): string {
  const flag = values.config;
  if (typeof flag === 'string') return flag;
  return env.PORTCULLIS_CONFIG ?? 'config/portcullis.yaml';
}
