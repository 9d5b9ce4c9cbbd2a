/**
 * Real MCP servers from npm as backends: config snippets for stdio backends, and server-everything started over
 * Streamable HTTP on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EVERYTHING_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface StdioBackendSnippet {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: string[];
  readonly timeout_s?: number;
  readonly per_session?: boolean;
  readonly env?: Record<string, string>;
}

/** server-everything over stdio. */
export function everythingStdio(extra: Partial<StdioBackendSnippet> = {}): StdioBackendSnippet {
  return { transport: 'stdio', command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'], ...extra };
}

/** server-filesystem over stdio, sandboxed to `dir`. */
export function filesystemStdio(dir: string, extra: Partial<StdioBackendSnippet> = {}): StdioBackendSnippet {
  return { transport: 'stdio', command: process.execPath, args: [FILESYSTEM_SERVER, dir], ...extra };
}

/** A fixture script of test/helpers/fixtures run with node (through tsx for .ts files). */
export function fixtureStdio(script: string, extra: Partial<StdioBackendSnippet> = {}): StdioBackendSnippet {
  return { transport: 'stdio', command: process.execPath, args: [join(FIXTURES_DIR, script)], ...extra };
}

/** A free TCP port on loopback (closed again before returning, so a small race is possible). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpBackendProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  stop(): Promise<void>;
}

/** Starts server-everything over Streamable HTTP on a free port; resolves once it says it listens. */
export function startEverythingHttp(options: { port?: number; timeoutMs?: number } = {}): Promise<HttpBackendProcess> {
  return startHttpServerProcess([EVERYTHING_SERVER, 'streamableHttp'], options.timeoutMs ?? 20_000, options.port);
}

/** Starts a fixture HTTP MCP server of test/helpers/fixtures on a free port (it must honour PORT). */
export function startFixtureHttp(script: string, timeoutMs = 20_000): Promise<HttpBackendProcess> {
  return startHttpServerProcess([join(FIXTURES_DIR, script)], timeoutMs);
}

/** Runs `node ...args` with PORT set (to a free port unless given); resolves once stderr says "listening on port". */
async function startHttpServerProcess(
  args: readonly string[],
  timeoutMs: number,
  fixedPort?: number,
): Promise<HttpBackendProcess> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(process.execPath, [...args], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${args.join(' ')} did not listen within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
      if (/listening on port/i.test(stderr)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  return { url: `http://127.0.0.1:${port}/mcp`, port, child, stdout: () => stdout, stop: () => killChild(child) };
}

/** Kills a child process (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
export function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** An HTTP backend snippet for `url`. */
export function everythingHttp(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { transport: 'http', url, ...extra };
}
