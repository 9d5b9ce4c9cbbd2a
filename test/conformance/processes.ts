/**
 * Child processes for the conformance run: every child is registered in one group, its output is kept (bounded) and
 * written to a log file, every wait is bounded, and the group kills what is left on exit, on failure and on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const KEPT_OUTPUT_CHARS = 64 * 1024;
const TERM_GRACE_MS = 3_000;
const KILL_GRACE_MS = 1_000;

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last output (stdout and stderr interleaved), at most 64 KiB. */
  output(): string;
  /** True once the process has exited. */
  hasExited(): boolean;
}

export interface StartOptions {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Owns every child process of the run. */
export class ProcessGroup {
  private readonly children = new Set<Child>();

  constructor(private readonly logDir: string) {}

  /** Starts `node <args>` (the same Node binary as this process). */
  start(name: string, options: StartOptions): Child {
    const logFile = join(this.logDir, `${name}.log`);
    const log: WriteStream = createWriteStream(logFile);
    const proc = spawn(process.execPath, [...options.args], {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env) } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let kept = '';
    let exited = false;
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      kept = (kept + text).slice(-KEPT_OUTPUT_CHARS);
      log.write(text);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const child: Child = {
      name,
      process: proc,
      logFile,
      exited: new Promise((resolve) => {
        proc.once('exit', (code, signal) => {
          exited = true;
          this.children.delete(child);
          log.end();
          resolve(code ?? signal ?? 'unknown');
        });
        proc.once('error', (error) => {
          keep(Buffer.from(`\n[spawn error] ${error.message}\n`));
          exited = true;
          this.children.delete(child);
          log.end();
          resolve('spawn-error');
        });
      }),
      output: () => kept,
      hasExited: () => exited,
    };
    this.children.add(child);
    return child;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the child is gone (bounded). */
  async stop(child: Child): Promise<void> {
    if (child.hasExited()) return;
    child.process.kill('SIGTERM');
    if (await settlesWithin(child.exited, TERM_GRACE_MS)) return;
    child.process.kill('SIGKILL');
    await settlesWithin(child.exited, KILL_GRACE_MS);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stop(child)));
  }

  /** Last resort, for `process.on('exit')`: synchronous SIGKILL to every child still running. */
  killAllNow(): void {
    for (const child of this.children) {
      try {
        child.process.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Resolves with the first match of `pattern` in the child's output; rejects on exit or after `timeoutMs`. */
export function waitForOutput(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = child.output().match(pattern);
      if (match) finish(() => resolve(match));
      return match !== null;
    };
    const onData = (): void => void check();
    const timer = setTimeout(
      () => finish(() => reject(new TimeoutError(`${child.name}: no ${String(pattern)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      child.process.stderr?.off('data', onData);
      settle();
    };
    if (check()) return;
    // Listeners added after the group's own, so the kept output already holds the new chunk when this runs.
    child.process.stdout?.on('data', onData);
    child.process.stderr?.on('data', onData);
    void child.exited.then((code) => {
      if (!check())
        finish(() => reject(new Error(`${child.name} exited (${code}) before printing ${String(pattern)}`)));
    });
  });
}

/** Resolves true if `promise` settles within `ms`, false otherwise. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** The environment for a child, without variables that would silently change what it listens on. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('PORTCULLIS_') || name === 'PORT' || name === 'HOST') delete env[name];
  }
  return { ...env, ...extra };
}
