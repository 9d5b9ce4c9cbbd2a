/**
 * The benchmark's child processes: spawned through one ChildSet so that every one of them is killed when the run
 * ends, fails or is interrupted, and every wait for one of them is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

const OUTPUT_LINES_KEPT = 40;
const STOP_GRACE_MS = 10_000;

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves with the first match of `pattern` in its stdout (or its stderr); rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number, stream?: OutputStream): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

export type OutputStream = 'stdout' | 'stderr';

export interface SpawnOptions {
  readonly cwd: string;
  readonly env?: Record<string, string>;
}

export interface ChildSet {
  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions): BenchChild;
  stopAll(): Promise<void>;
  /** Synchronous last resort for process 'exit' and signals: SIGKILL to every child still running. */
  killAllNow(): void;
}

/** Creates an empty set of children. */
export function createChildSet(): ChildSet {
  const running = new Set<ChildProcess>();
  return {
    spawn(name, command, args, options) {
      const child = spawn(command, [...args], {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (child.pid === undefined) throw new Error(`cannot start ${name}: ${command} ${args.join(' ')}`);
      running.add(child);
      child.once('exit', () => running.delete(child));
      return wrapChild(name, child);
    },
    async stopAll() {
      await Promise.all([...running].map((child) => stopChild(child)));
    },
    killAllNow() {
      for (const child of running) child.kill('SIGKILL');
    },
  };
}

function wrapChild(name: string, child: ChildProcess): BenchChild {
  const lines: string[] = [];
  const text: Record<OutputStream, string> = { stdout: '', stderr: '' };
  const keep = (stream: OutputStream, chunk: Buffer): void => {
    // Only start-up banners are matched; cap what is kept so a chatty child cannot grow memory.
    text[stream] = (text[stream] + chunk.toString('utf8')).slice(-16_384);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout?.on('data', (chunk: Buffer) => keep('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => keep('stderr', chunk));
  const output = (): string => lines.slice(-12).join('\n');
  return {
    name,
    pid: child.pid ?? -1,
    output,
    waitForOutput: (pattern, timeoutMs, stream = 'stdout') =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = text[stream].match(pattern);
          if (match) done(() => resolve(match));
        };
        const onExit = (code: number | null): void =>
          done(() => reject(new Error(`${name} exited (code ${code}) before it was ready:\n${output()}`)));
        const timer = setTimeout(
          () => done(() => reject(new Error(`${name} not ready within ${timeoutMs} ms:\n${output()}`))),
          timeoutMs,
        );
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          child[stream]?.off('data', check);
          child.off('exit', onExit);
          settle();
        };
        child[stream]?.on('data', check);
        child.once('exit', onExit);
        check();
      }),
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}
