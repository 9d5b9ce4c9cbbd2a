/**
 * Watches the config file and hands each valid new version to the gateway. A broken edit keeps the running config:
 * the problems are reported (file:line each) and the next good save applies. Editors save in different ways
 * (in place, or write-new-then-rename), so the directory is watched and changes are debounced, then the file's
 * content is compared: a touch without a change does nothing.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type ConfigProblem, type Env, parseConfigText } from './load.js';
import type { Config } from './schema.js';

export type ReloadOutcome =
  | { readonly kind: 'applied'; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly kind: 'rejected'; readonly problems: readonly ConfigProblem[] };

export interface ConfigWatcher {
  /** Checks the file now (tests, SIGHUP). */
  check(): void;
  close(): void;
}

export interface WatchOptions {
  readonly file: string;
  readonly env: Env;
  /** The text the running config was loaded from, so an unchanged file is not re-applied. */
  readonly initialText: string;
  readonly onReload: (outcome: ReloadOutcome) => void;
  readonly debounceMs?: number;
}

export function watchConfig(options: WatchOptions): ConfigWatcher {
  let lastText = options.initialText;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;

  const check = (): void => {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch {
      return; // mid-rename or deleted: the next event (or save) brings it back
    }
    if (text === lastText) return;
    lastText = text;
    const result = parseConfigText(text, options.file, options.env);
    options.onReload(result.ok ? { kind: 'applied', config: result.config, warnings: result.warnings } : { kind: 'rejected', problems: result.errors });
  };

  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(check, options.debounceMs ?? 100);
    timer.unref();
  };

  const name = basename(options.file);
  watcher = watch(dirname(options.file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name) schedule();
  });
  watcher.on('error', () => undefined);

  return {
    check,
    close() {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
