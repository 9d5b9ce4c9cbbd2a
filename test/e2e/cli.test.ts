/**
 * The `portcullis` command as a user runs it (bin/portcullis.js over the compiled dist/): help and usage exits,
 * `serve` with (a temp copy of) the demo config, SIGTERM draining, `verify` on a broken config, `logs` filters, and
 * the demo config's refusal to listen beyond loopback.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../helpers/audit.js';
import { type ServeProcess, buildDist, runPortcullis, spawnServe, writeDemoConfigCopy } from '../helpers/cli.js';
import { connectClient, textOf } from '../helpers/client.js';
import { killChild } from '../helpers/backends.js';

let dir: string;
let sandbox: string;
let configFile: string;
let dbPath: string;
const started: ServeProcess[] = [];

beforeAll(async () => {
  await buildDist();
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'portcullis-cli-')));
  sandbox = join(dir, 'sandbox');
  mkdirSync(sandbox);
  writeFileSync(join(sandbox, 'note.txt'), 'a note\n');
  ({ file: configFile, dbPath } = writeDemoConfigCopy(dir, sandbox));
}, 150_000);

afterAll(async () => {
  await Promise.all(started.map((s) => killChild(s.child)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('help and usage', () => {
  it.each([
    [['--help']],
    [['help']],
    [['serve', '--help']],
    [['verify', '--help']],
    [['logs', '--help']],
    [['logs', '-h']],
  ])('portcullis %j exits 0 with usage text', async (args) => {
    const result = await runPortcullis(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: portcullis/m);
  });

  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['no command', [], /Usage: portcullis <command>/],
    ['an unknown flag', ['serve', '--no-such-flag'], /no-such-flag/],
    ['a bad --decision', ['logs', '--decision', 'maybe'], /--decision/],
    ['a bad --port', ['serve', '--config', 'CONFIG', '--port', 'eighty'], /--port/],
  ])('%s exits 2', async (_label, args, message) => {
    const result = await runPortcullis(args.map((a) => (a === 'CONFIG' ? configFile : a)));
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatch(message);
  });
});

describe.concurrent('verify', () => {
  it('a valid config exits 0', async () => {
    const result = await runPortcullis(['verify', '--config', configFile]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OK');
  });

  it('a misspelled key exits 1 and prints file:line', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, ['server:', '  host: 127.0.0.1', '  prot: 8080', 'default_policy: allow', ''].join('\n'));
    const result = await runPortcullis(['verify', '--config', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3\\b.*prot`));
  });

  it('PORTCULLIS_CONFIG names the config when --config is absent', async () => {
    const broken = join(dir, 'broken-env.yaml');
    writeFileSync(broken, ['storage:', '  sqlite: x.db', '  sqllite: y.db', ''].join('\n'));
    const result = await runPortcullis(['verify'], { env: { PORTCULLIS_CONFIG: broken } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${broken}:3`);
  });
});

describe('serve with the demo config', () => {
  let serve: ServeProcess;
  let url: string;

  beforeAll(async () => {
    serve = spawnServe(['--config', configFile, '--port', '0']);
    started.push(serve);
    const out = await serve.waitForStdout(/Ready\./, 45_000);
    const match = /MCP endpoint:\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
    if (!match?.[1]) throw new Error(`no MCP endpoint in the banner:\n${out}`);
    url = match[1];
  }, 60_000);

  it('prints the MCP URL, both backends with their tool counts and the audit db path', () => {
    const out = serve.stdout();
    expect(url).not.toMatch(/:0\/mcp$/);
    expect(out).toMatch(/^\s+everything\s+up\s+[1-9]\d* tools$/m);
    expect(out).toMatch(/^\s+files\s+up\s+[1-9]\d* tools$/m);
    expect(out).toContain(`Audit log:     ${dbPath}`);
  });

  it('serves MCP calls at that URL', async () => {
    const conn = await connectClient(url);
    try {
      const echo = await conn.client.callTool({
        name: 'everything__echo',
        arguments: { message: 'from the cli test' },
      });
      expect(textOf(echo)).toContain('from the cli test');
      const note = await conn.client.callTool({
        name: 'files__read_text_file',
        arguments: { path: join(sandbox, 'note.txt') },
      });
      expect(textOf(note)).toBe('a note\n');
      await expect(conn.client.callTool({ name: 'nosuchbackend__echo', arguments: {} })).rejects.toMatchObject({
        code: -32083,
      });
    } finally {
      await conn.close();
    }
  });

  it('SIGTERM lets a call in flight finish, prints Stopped and exits 0 within 15 s; the rows are in the db', async () => {
    const conn = await connectClient(url);
    const inflight = conn.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1.5, steps: 3 } },
      undefined,
      { timeout: 20_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    const result = await inflight;
    expect(textOf(result)).toContain('Long running operation completed');
    const exit = await serve.exited();
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(serve.stdout()).toContain('Stopped.');
    await conn.close();

    const rows = await readAudit(dbPath);
    expect(
      rows.some(
        (r) => r.method === 'tools/call' && r.backend === 'everything' && r.tool === 'echo' && r.decision === 'allow',
      ),
    ).toBe(true);
    expect(
      rows.some(
        (r) => r.method === 'tools/call' && r.tool === 'trigger-long-running-operation' && r.errorCode === null,
      ),
    ).toBe(true);
    expect(rows.at(-1)?.method).toBe('gateway.stop');
  }, 30_000);
});

describe('logs', () => {
  async function logsJson(...args: string[]): Promise<Record<string, unknown>[]> {
    const result = await runPortcullis(['logs', '--config', configFile, '--json', ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('--json prints one JSON object per line with the audit row’s fields', async () => {
    const rows = await logsJson();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      for (const key of [
        'id',
        'ts',
        'kind',
        'agent',
        'backend',
        'method',
        'tool',
        'decision',
        'reason',
        'forwarded',
        'mode',
        'latencyMs',
      ]) {
        expect(row, key).toHaveProperty(key);
      }
    }
    const echo = rows.find((r) => r.tool === 'echo');
    expect(echo).toMatchObject({
      kind: 'request',
      backend: 'everything',
      method: 'tools/call',
      decision: 'allow',
      agent: 'anonymous',
    });
    expect(JSON.stringify(echo?.payload)).toContain('from the cli test');
  });

  it('--tool everything/echo shows only that tool’s rows; a bare --tool name works too', async () => {
    const scoped = await logsJson('--tool', 'everything/echo');
    expect(scoped.length).toBeGreaterThanOrEqual(1);
    for (const row of scoped) expect(row).toMatchObject({ backend: 'everything', tool: 'echo' });
    const bare = await logsJson('--tool', 'read_text_file');
    expect(bare.length).toBeGreaterThanOrEqual(1);
    for (const row of bare) expect(row).toMatchObject({ backend: 'files', tool: 'read_text_file' });
    expect(await logsJson('--tool', 'files/echo')).toEqual([]);
  });

  it('--decision deny shows only denials', async () => {
    const denied = await logsJson('--decision', 'deny');
    expect(denied.length).toBeGreaterThanOrEqual(1);
    for (const row of denied) expect(row.decision).toBe('deny');
    expect(denied.some((r) => r.reason === 'acl_denied')).toBe(true);
  });

  it('without --json prints one line per row', async () => {
    const result = await runPortcullis(['logs', '--config', configFile, '--tool', 'everything/echo']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT.*\sallow\s.*everything\/echo/);
  });
});

describe('serve refuses what the demo config forbids', () => {
  it('--host 0.0.0.0 with the loopback_only demo config exits 1 with a clear message', async () => {
    const result = await runPortcullis(['serve', '--config', configFile, '--host', '0.0.0.0', '--port', '0'], {
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/0\.0\.0\.0.*loopback/);
    expect(result.stdout).not.toContain('Ready.');
  });
});
