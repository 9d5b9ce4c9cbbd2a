/**
 * Watches a directory for changes and calls back once per burst of them (debounced). `fs.watch` misses events on
 * some filesystems and with editors that save by renaming; with `pollMs`, a cheap stat poll of the directory's
 * entries backs it up. A directory that cannot be watched (missing, or not watchable) is not an error here: the
 * poll, when asked for, notices when it appears, and callers report a missing directory themselves.
 */
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';

export interface DirectoryWatch {
  /** Whether `fs.watch` is on (false: only the poll, if any, notices changes). */
  readonly watching: boolean;
  close(): void;
}

export function watchDirectory(dir: string, onChange: () => void, options: { readonly debounceMs: number; readonly pollMs?: number }): DirectoryWatch {
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(onChange, options.debounceMs);
    debounce.unref();
  };
  try {
    watcher = watch(dir, { persistent: false }, schedule);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  if (options.pollMs !== undefined) {
    let seen = statFingerprint(dir);
    poll = setInterval(() => {
      const next = statFingerprint(dir);
      if (next !== seen) {
        seen = next;
        schedule();
      }
    }, options.pollMs);
    poll.unref();
  }
  return {
    watching: watcher !== undefined,
    close() {
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
    },
  };
}

/** Names, sizes and modification times of a directory's entries; `missing` when it cannot be read. */
function statFingerprint(dir: string): string {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => {
        const s = statSync(join(dir, name), { throwIfNoEntry: false });
        return s ? `${name}:${s.size}:${s.mtimeMs}` : name;
      })
      .join('|');
  } catch {
    return 'missing';
  }
}
