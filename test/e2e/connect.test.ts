/**
 * `portcullis connect` end to end: the built CLI as a child process, driven over stdio by the real SDK client,
 * forwarding signed to a real gateway (`identity.require_signature: true`, default deny) with server-everything behind
 * it. The ACL sees the signed agent, gateway errors pass through, a wrong or bad key and a dead gateway give clear
 * answers instead of hangs, sampling goes gateway → client and back, and the process ends its session and exits 0.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { readAudit } from '../helpers/audit.js';
import { everythingStdio, freePort, REPO_ROOT } from '../helpers/backends.js';
import { BIN, buildDist, cliEnv, runPortcullis } from '../helpers/cli.js';
import { textOf } from '../helpers/client.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

const ADMIN_TOKEN = 'connect-e2e-admin-token-0123456789';
let keysDir: string;
let gw: StartedGateway;
const open: Client[] = [];

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'portcullis-connect-'));
  const [built] = await Promise.allSettled([
    buildDist(),
    ...['desktop', 'bob', 'sampler'].map(async (agent) => {
      const written = await writeKeyPair(keysDir, agent);
      if (!written.ok) throw new Error(written.problem);
    }),
  ]);
  if (built.status === 'rejected') throw built.reason;
  gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: [
      `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} }`,
      `admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${ADMIN_TOKEN}" } }`,
      'default_policy: deny',
      'agents:',
      '  desktop: { allow: ["everything/echo"] }',
      '  sampler: { allow: ["everything/echo", "everything/trigger-sampling-request"] }',
    ].join('\n'),
  });
});

afterAll(async () => {
  await Promise.all(open.map((client) => client.close().catch(() => undefined)));
  await gw?.stop();
  if (keysDir) rmSync(keysDir, { recursive: true, force: true });
});

function connectArgs(agent: string, keyFile = join(keysDir, `${agent}.key`), url = gw.url): string[] {
  return [BIN, 'connect', '--agent', agent, '--key', keyFile, url];
}

/** The SDK client over stdio to `portcullis connect`; `stderr()` is what the process wrote there. */
function stdioClient(
  args: string[],
  capabilities: Record<string, object> = {},
): { client: Client; transport: StdioClientTransport; stderr: () => string } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    cwd: REPO_ROOT,
    env: cliEnv() as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'connect-e2e', version: '1' }, { capabilities });
  open.push(client);
  return { client, transport, stderr: () => stderr };
}

interface RawConnect {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far, parsed (a line that is not JSON fails the test). */
  readonly messages: Record<string, unknown>[];
  /** Sends `method` as request `id` and resolves with the response. */
  request(id: number, method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  notify(method: string): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** `portcullis connect` as a raw child: JSON-RPC lines in and out, for what the SDK client hides (exit code, stdout). */
function spawnConnect(args: string[]): RawConnect {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: cliEnv() });
  const messages: Record<string, unknown>[] = [];
  const waiters = new Map<unknown, (message: Record<string, unknown>) => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    messages.push(message);
    waiters.get(message.id)?.(message);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const write = (message: Record<string, unknown>): void => void child.stdin.write(`${JSON.stringify(message)}\n`);
  return {
    child,
    messages,
    exited,
    stderr: () => stderr,
    request(id, method, params = {}) {
      const answered = new Promise<Record<string, unknown>>((resolve) => waiters.set(id, resolve));
      write({ jsonrpc: '2.0', id, method, params });
      return answered;
    },
    notify: (method) => write({ jsonrpc: '2.0', method }),
  };
}

function initializeParams(): Record<string, unknown> {
  return { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-connect-e2e', version: '1' } };
}

async function initializeRaw(raw: RawConnect): Promise<void> {
  const init = await raw.request(1, 'initialize', initializeParams());
  expect(init).toMatchObject({ id: 1, result: { protocolVersion: expect.any(String) } });
  raw.notify('notifications/initialized');
}

/** The `portcullis_sessions` gauge of the gateway's admin /metrics. */
async function openSessions(): Promise<number> {
  const response = await fetch(`${gw.gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const match = /^portcullis_sessions (\d+)/m.exec(await response.text());
  if (!match?.[1]) throw new Error('no portcullis_sessions gauge in /metrics');
  return Number(match[1]);
}

describe('portcullis connect, signed as desktop', () => {
  let client: Client;

  beforeAll(async () => {
    const made = stdioClient(connectArgs('desktop'));
    client = made.client;
    await client.connect(made.transport);
  });

  it('lists only the tools desktop may use', async () => {
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['everything__echo']);
  });

  it('calls echo, recorded in the audit log as desktop, verified', async () => {
    const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'via connect' } });
    expect(textOf(result)).toContain('via connect');
    const rows = await readAudit(gw.dbPath, { agent: 'desktop' });
    expect(rows.find((row) => row.method === 'tools/call')).toMatchObject({ verified: true, decision: 'allow', tool: 'echo' });
  });

  it('passes the gateway’s acl_denied error through unchanged', async () => {
    await expect(client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({
      code: -32083,
      data: { reason: 'acl_denied' },
    });
  });
});

describe('portcullis connect, both directions', () => {
  it('a sampling request from the gateway reaches the stdio client and its answer goes back', async () => {
    const { client, transport } = stdioClient(connectArgs('sampler'), { sampling: {} });
    const asked: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      asked.push(request.params.messages);
      return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: 'sampled through connect' } };
    });
    await client.connect(transport);
    const result = await client.callTool(
      { name: 'everything__trigger-sampling-request', arguments: { prompt: 'ask the stdio client' } },
      undefined,
      { timeout: 15_000 },
    );
    expect(textOf(result)).toContain('sampled through connect');
    expect(JSON.stringify(asked)).toContain('ask the stdio client');
  });
});

describe('portcullis connect, failures', () => {
  it('with another agent’s key, the gateway’s bad_signature error reaches the client', async () => {
    const { client, transport } = stdioClient(connectArgs('desktop', join(keysDir, 'bob.key')));
    await expect(client.connect(transport)).rejects.toMatchObject({ code: -32081 });
  });

  it('answers initialize with a JSON-RPC error at once when the gateway is unreachable', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}/mcp`;
    const { client, transport, stderr } = stdioClient(connectArgs('desktop', undefined, deadUrl));
    const started = Date.now();
    const failure = await client.connect(transport).then(
      () => undefined,
      (error: unknown) => error as { code?: number; message?: string },
    );
    expect(failure).toMatchObject({ code: -32603, message: expect.stringMatching(/gateway unreachable/) });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stderr()).toMatch(/^portcullis connect: gateway: .*ECONNREFUSED/m);
  });

  it('keeps running while the gateway is down: a client may start first, and a restart gives the gateway’s own error', async () => {
    const port = await freePort();
    const startLate = (): Promise<StartedGateway> =>
      startGateway({
        yaml: `{ server: { port: ${port} }, identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} } }`,
      });
    const raw = spawnConnect(connectArgs('desktop', undefined, `http://127.0.0.1:${port}/mcp`));
    const early = await raw.request(1, 'initialize', initializeParams());
    expect(early).toMatchObject({ id: 1, error: { code: -32603, message: expect.stringMatching(/unreachable/) } });
    let late = await startLate();
    try {
      const init = await raw.request(2, 'initialize', initializeParams());
      expect(init).toMatchObject({ id: 2, result: { serverInfo: expect.any(Object) } });
      raw.notify('notifications/initialized');
      expect(await raw.request(3, 'ping')).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
      await late.stop();
      expect(await raw.request(4, 'ping')).toMatchObject({ id: 4, error: { code: -32603 } });
      late = await startLate();
      // The new gateway does not know the session: its HTTP 404 body is passed on, with the request's id.
      expect(await raw.request(5, 'ping')).toMatchObject({ id: 5, error: { code: -32001, message: 'Session not found' } });
      raw.child.stdin.end();
      expect(await raw.exited).toEqual({ code: 0, signal: null });
    } finally {
      await late.stop();
    }
  });

  it('a bad key file exits 1 with one clear stderr line and nothing on stdout', async () => {
    const badKey = join(keysDir, 'not-a-key.key');
    writeFileSync(badKey, 'this is not a PEM key\n');
    chmodSync(badKey, 0o600);
    const result = await runPortcullis(connectArgs('desktop', badKey).slice(1));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portcullis connect: .*not-a-key\.key/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['an invalid agent name', ['--agent', '../evil', '--key', 'k.key', 'http://127.0.0.1:1/mcp']],
    ['a URL that is not http(s)', ['--agent', 'desktop', '--key', 'k.key', 'ftp://127.0.0.1/mcp']],
    ['no URL', ['--agent', 'desktop', '--key', 'k.key']],
    ['no --key', ['--agent', 'desktop', 'http://127.0.0.1:1/mcp']],
  ])('%s is a usage error (exit 2)', async (_name, args) => {
    const result = await runPortcullis(['connect', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portcullis connect: /);
  });

  it('--help exits 0 with a Claude Desktop config to copy', async () => {
    const result = await runPortcullis(['connect', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"mcpServers": {"portcullis": {"command": "npx", "args": ["portcullis", "connect"');
    expect(result.stdout).toMatch(/Cursor/);
  });
});

describe('portcullis connect, lifecycle', () => {
  it.each([
    ['the client closes stdin', (raw: RawConnect) => void raw.child.stdin.end()],
    ['it gets SIGTERM', (raw: RawConnect) => void raw.child.kill('SIGTERM')],
  ])('when %s, it ends its gateway session and exits 0; stdout carried only JSON-RPC', async (_name, stop) => {
    const before = await openSessions();
    const raw = spawnConnect(connectArgs('desktop'));
    await initializeRaw(raw);
    const call = await raw.request(2, 'tools/call', { name: 'everything__echo', arguments: { message: 'raw' } });
    expect(JSON.stringify(call)).toContain('raw');
    expect(await openSessions()).toBe(before + 1);
    stop(raw);
    expect(await raw.exited).toEqual({ code: 0, signal: null });
    await waitUntil(async () => (await openSessions()) === before, 5_000, 'the session to be deleted');
    expect(raw.messages.every((message) => message.jsonrpc === '2.0')).toBe(true);
    expect(raw.stderr()).toMatch(/^portcullis connect: forwarding stdio to .* as agent desktop/m);
  });
});
