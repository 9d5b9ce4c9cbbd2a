/** Runs the built `portcullis` command (bin/portcullis.js over dist/) as a child process. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './backends.js';

export const BIN = join(REPO_ROOT, 'bin/portcullis.js');

/** Compiles src/ to dist/ (incremental); throws with the compiler's output if it fails. */
export function buildDist(timeoutMs = 120_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: REPO_ROOT, timeout: timeoutMs },
      (error, stdout, stderr) =>
        error ? reject(new Error(`build failed: ${error.message}\n${stdout}${stderr}`)) : resolvePromise(),
    );
  });
}

/** The environment a CLI child gets: ours without PORTCULLIS_* (so a developer's settings never leak in). */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PORTCULLIS_')) env[key] = value;
  return { ...env, ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `portcullis ...args` to completion (killed after `timeoutMs`). */
export function runPortcullis(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

export interface ServeProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once it matches `pattern`; rejects on exit or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves when the process exits. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a long-running `portcullis serve ...args`. */
export function spawnServe(args: readonly string[], env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) => {
    child.once('exit', (code, signal) => resolvePromise({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    waitForStdout(pattern, timeoutMs) {
      return new Promise((resolvePromise, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          cleanup();
          resolvePromise(out);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const onExit = (code: number | null): void => {
          cleanup();
          reject(new Error(`serve exited (${code}) before ${pattern}\nstdout: ${out}\nstderr: ${err}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout?.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/**
 * Writes a copy of the shipped demo config (config/portcullis.yaml) into `dir`: the same backends and settings, with
 * every relative path made absolute, the audit db in `dir`, and the files backend sandboxed to `sandbox`.
 */
export function writeDemoConfigCopy(dir: string, sandbox: string): { file: string; dbPath: string } {
  const demoFile = join(REPO_ROOT, 'config/portcullis.yaml');
  const demoDir = dirname(demoFile);
  const config = parse(readFileSync(demoFile, 'utf8')) as DemoConfig;
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(demoDir, path));
  const dbPath = join(dir, 'data', 'portcullis.db');
  mkdirSync(dirname(dbPath), { recursive: true });
  config.storage = { ...config.storage, sqlite: dbPath };
  if (config.identity?.keys_dir) config.identity.keys_dir = absolute(config.identity.keys_dir);
  if (config.rules?.dirs) config.rules.dirs = config.rules.dirs.map(absolute);
  if (config.guards?.dir) config.guards.dir = absolute(config.guards.dir);
  for (const [id, backend] of Object.entries(config.backends ?? {})) {
    if (!backend.args) continue;
    backend.args = backend.args.map((arg) => (arg.startsWith('.') ? absolute(arg) : arg));
    if (id === 'files') backend.args = [...backend.args.slice(0, -1), sandbox];
  }
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, stringify(config));
  return { file, dbPath };
}

interface DemoConfig {
  storage?: Record<string, unknown>;
  identity?: { keys_dir?: string };
  rules?: { dirs?: string[] };
  guards?: { dir?: string };
  backends?: Record<string, { args?: string[] }>;
}

/** Runs `portcullis ...argv --config <config>` in this process (no build, no child), capturing its output. */
export async function runCliInProcess(config: string, argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const { runCommand } = await import('../../src/main.js');
  let out = '';
  let err = '';
  const code = await runCommand([...argv, '--config', config], { out: (t) => void (out += t), err: (t) => void (err += t), env: {} });
  return { code, out, err };
}

/**
 * Writes a CLI config at `file` that reaches a running test gateway: its listeners, its database, and one admin
 * token named `ops`.
 */
export function writeCliConfigFor(file: string, gateway: { url: string; adminUrl: string; dbPath: string }, opsToken: string): string {
  writeFileSync(
    file,
    [
      `server: { host: 127.0.0.1, port: ${new URL(gateway.url).port} }`,
      `admin: { host: 127.0.0.1, port: ${new URL(gateway.adminUrl).port}, tokens: { ops: "${opsToken}" } }`,
      'identity: { require_signature: false }',
      `storage: { sqlite: ${JSON.stringify(gateway.dbPath)} }`,
    ].join('\n'),
  );
  return file;
}
