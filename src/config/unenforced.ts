/**
 * Settings that promise a check this build does not perform yet. The pipeline's stages arrive one issue at a time;
 * until a stage exists, a config that relies on it is refused at start-up rather than silently not enforced
 * (fail closed). Each entry goes away with the stage that enforces it.
 */
import type { Config } from './schema.js';

interface Unenforced {
  readonly applies: (config: Config) => boolean;
  readonly problem: string;
}

const UNENFORCED: readonly Unenforced[] = [
];

/** Every setting in `config` that this build would not enforce, one line each. */
export function findUnenforcedSettings(config: Config): string[] {
  return UNENFORCED.filter((entry) => entry.applies(config)).map((entry) => entry.problem);
}
