/**
 * The servers under test: server-everything over Streamable HTTP (the backend), the gateway in front of it, and the
 * stack floor (floor-server.ts: the gateway's HTTP/MCP front-end stack answering at once), each a child process
 * started from the repository, with a temporary config and database for the gateway.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type BenchChild, type ChildSet, waitForPort } from './processes.js';

const START_TIMEOUT_MS = 30_000;
const BACKEND_ENTRY = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const FLOOR_ENTRY = 'bench/lib/floor-server.ts';

export interface RunningServer {
  readonly child: BenchChild;
  /** The MCP endpoint (`http://127.0.0.1:PORT/mcp`). */
  readonly url: string;
}

/** A TCP port that was free a moment ago. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts server-everything (streamableHttp) on a free port and waits until it listens. */
export async function startBackend(children: ChildSet, repoRoot: string): Promise<RunningServer> {
  const port = await findFreePort();
  const child = children.spawn('backend (server-everything)', process.execPath, [BACKEND_ENTRY, 'streamableHttp'], {
    cwd: repoRoot,
    env: { PORT: String(port) },
  });
  await waitForPort(port, START_TIMEOUT_MS);
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

/** Starts the stack floor on a port the system picks and waits for its "listening <port>" line (stderr). */
export async function startFloor(children: ChildSet, repoRoot: string): Promise<RunningServer> {
  const child = children.spawn('stack floor', process.execPath, ['--import', 'tsx', FLOOR_ENTRY], {
    cwd: repoRoot,
    env: { PORT: '0' },
  });
  const [, port] = await child.waitForOutput(/^listening (\d+)$/m, START_TIMEOUT_MS, 'stderr');
  if (port === undefined) throw new Error(`stack floor: no port in:\n${child.output()}`);
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

export interface GatewayConfigOptions {
  readonly repoRoot: string;
  readonly dir: string;
  readonly name: string;
  readonly backendUrl: string;
  readonly sessionsMax: number;
  /** The one agent, whose key pair is in `keysDir`; it must sign every request. */
  readonly agent: string;
  readonly keysDir: string;
  /** The guards the gateway runs (bench/guards.ts writes the shipped examples there, turned on). */
  readonly guardsDir: string;
}

/** The one tool the agent may call (a policy glob over `<backend>/<original name>`). */
export const ALLOWED_TOOL = 'everything/echo';

/**
 * Writes a gateway config into `dir` for the full pipeline as it exists: signatures required (the agent's key in
 * `keysDir`), `default_policy: deny` with the agent allowed `everything/echo` only, the repository's rules/ and the
 * shipped example guards turned on (so every shipped rule and guard is in the path), the backend as `everything` over HTTP, a fresh
 * database, and every rate limit (global, per source, the agent's) far above the load. The gateway's nonce cache (100,000
 * nonces per 2 × `max_clock_skew_s` = 120 s) is left as shipped: a run sends far fewer signed requests in that window,
 * and a full cache would refuse with -32081, which stops the run rather than skew it.
 */
export function writeGatewayConfig(options: GatewayConfigOptions): string {
  const generous = { requests: 1_000_000_000, window_s: 1 };
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    identity: { require_signature: true, keys_dir: options.keysDir },
    default_policy: 'deny',
    agents: { [options.agent]: { allow: [ALLOWED_TOOL], rate_limit: { requests: 100_000_000, window_s: 60 } } },
    storage: { sqlite: gatewayDatabase(options.dir, options.name) },
    sessions: { max: options.sessionsMax },
    rules: { dirs: [join(options.repoRoot, 'rules')] },
    guards: { dir: options.guardsDir },
    rate_limit: { ...generous, source: generous },
    backends: { everything: { transport: 'http', url: options.backendUrl } },
  };
  const file = join(options.dir, `${options.name}.yaml`);
  writeFileSync(file, `# Written by bench/lib/servers.ts for one benchmark run.\n${stringify(config)}`);
  return file;
}

/** The SQLite database (audit log) of the gateway config `name` written by writeGatewayConfig. */
export function gatewayDatabase(dir: string, name: string): string {
  return join(dir, `${name}.db`);
}

/** Starts `portcullis serve` with `configFile` and waits for "Ready." (the banner names the MCP endpoint). */
export async function startGateway(children: ChildSet, repoRoot: string, configFile: string): Promise<RunningServer> {
  const child = children.spawn('gateway', process.execPath, ['bin/portcullis.js', 'serve', '--config', configFile], {
    cwd: repoRoot,
  });
  const [, url] = await child.waitForOutput(/MCP endpoint:\s+(\S+)[\s\S]*^Ready\./m, START_TIMEOUT_MS);
  if (url === undefined) throw new Error(`gateway banner without an MCP endpoint:\n${child.output()}`);
  if (!/^\s+everything\s+up\b/m.test(child.output())) throw new Error(`gateway: backend not up:\n${child.output()}`);
  return { child, url };
}
