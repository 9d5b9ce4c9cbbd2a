/**
 * The agents' public keys as the gateway uses them: loaded from `identity.keys_dir` at start and again whenever a
 * file there changes (debounced), so a key added, replaced or removed on disk applies without a restart. A bad file
 * is reported and skipped; it never stops the good keys from loading.
 */
import { watchDirectory } from '../watch-directory.js';
import { loadKeyDir } from './key-files.js';
import type { PublicKeyInfo } from './keys.js';

export interface KeyDirectory {
  /** Each agent's current key, as its `NAME.pub` holds it now. */
  keys(): ReadonlyMap<string, PublicKeyInfo>;
  /** Agents with a loaded key. */
  agents(): string[];
  reload(): Promise<void>;
  close(): void;
}

export interface KeyDirectoryOptions {
  readonly dir: string;
  /** Told after each load (the first one before `openKeyDirectory` returns): the agents loaded and every file refused. */
  readonly onLoad: (agents: readonly string[], problems: readonly { file: string; reason: string }[]) => void;
  readonly debounceMs?: number;
}

export async function openKeyDirectory(options: KeyDirectoryOptions): Promise<KeyDirectory> {
  let keys: ReadonlyMap<string, PublicKeyInfo> = new Map();
  let agents: string[] = [];

  const reload = async (): Promise<void> => {
    const loaded = await loadKeyDir(options.dir);
    keys = loaded.keys;
    agents = [...loaded.keys.keys()].sort();
    options.onLoad(agents, loaded.problems);
  };
  await reload();
  // A missing directory has no keys to watch; it is reported by the config loader.
  const watcher = watchDirectory(options.dir, () => void reload(), { debounceMs: options.debounceMs ?? 200 });
  return {
    keys: () => keys,
    agents: () => agents,
    reload,
    close: () => watcher.close(),
  };
}
