/**
 * The servers a conformance run talks to: the repo's conformance fixture, `@modelcontextprotocol/server-everything`
 * over Streamable HTTP, and the gateway (the built CLI, `node bin/portcullis.js serve`) in front of either.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Child, type ProcessGroup, cleanEnv, findFreePort, waitForOutput } from './processes.js';

export interface Target {
  readonly url: string;
  readonly child: Child;
}

export interface TargetContext {
  readonly group: ProcessGroup;
  readonly repoRoot: string;
  readonly workDir: string;
  readonly startTimeoutMs: number;
}

/** The backend id the gateway config gives the backend under test. */
export const BACKEND_ID = 'conf';

/** Starts test/fixtures/conformance-server.ts on a free port. */
export async function startFixture(ctx: TargetContext): Promise<Target> {
  const port = await findFreePort();
  const child = ctx.group.start('backend-fixture', {
    args: ['--import', 'tsx', join(ctx.repoRoot, 'test', 'fixtures', 'conformance-server.ts'), '--port', String(port)],
    cwd: ctx.repoRoot,
    env: cleanEnv(),
  });
  const match = await waitForOutput(child, /listening on (http:\/\/\S+\/mcp)/, ctx.startTimeoutMs);
  return { url: match[1] ?? '', child };
}

/** Starts server-everything's Streamable HTTP transport (it reads its port from PORT). */
export async function startEverything(ctx: TargetContext): Promise<Target> {
  const entry = join(ctx.repoRoot, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: run npm install`);
  const port = await findFreePort();
  const child = ctx.group.start('backend-everything', {
    args: [entry, 'streamableHttp'],
    cwd: ctx.repoRoot,
    env: cleanEnv({ PORT: String(port) }),
  });
  await waitForOutput(child, /listening on port (\d+)/, ctx.startTimeoutMs);
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

/**
 * Starts the gateway with a temp config: the given backend as `conf` over HTTP, unsigned callers, default allow, no
 * tool-name prefix (so the suite finds its tools by their own names), the repo's rules/, guards/ and keys/.
 */
export async function startGateway(ctx: TargetContext, label: string, backendUrl: string): Promise<Target> {
  const cli = join(ctx.repoRoot, 'bin', 'portcullis.js');
  if (!existsSync(join(ctx.repoRoot, 'dist', 'main.js'))) throw new Error('dist/main.js not found: run npm run build');
  const dir = join(ctx.workDir, `gateway-${label}`);
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'portcullis.yaml');
  const port = await findFreePort();
  const config = {
    server: { host: '127.0.0.1', port },
    storage: { sqlite: join(dir, 'portcullis.db') },
    identity: { require_signature: false, keys_dir: join(ctx.repoRoot, 'keys') },
    default_policy: 'allow',
    tool_names: { prefix: 'never' },
    rules: { dirs: [join(ctx.repoRoot, 'rules')] },
    guards: { dir: join(ctx.repoRoot, 'guards') },
    backends: { [BACKEND_ID]: { transport: 'http', url: backendUrl } },
  };
  writeFileSync(configFile, `# Written by test/conformance/run.ts\n${stringify(config)}`);
  const child = ctx.group.start(`gateway-${label}`, {
    args: [cli, 'serve', '--config', configFile],
    cwd: ctx.repoRoot,
    env: cleanEnv(),
  });
  await waitForOutput(child, /^Ready\./m, ctx.startTimeoutMs);
  const url = child.output().match(/MCP endpoint:\s+(http:\/\/\S+)/)?.[1];
  const backend = child.output().match(new RegExp(`^\\s+${BACKEND_ID}\\s+(\\S+)`, 'm'))?.[1];
  if (!url) throw new Error(`gateway-${label}: no MCP endpoint in its banner:\n${child.output()}`);
  if (backend !== 'up')
    throw new Error(`gateway-${label}: backend ${BACKEND_ID} is ${backend ?? 'not listed'}:\n${child.output()}`);
  return { url, child };
}
