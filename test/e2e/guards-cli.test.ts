/**
 * `portcullis guards list | test` and `portcullis verify` with guards, as a user runs them (bin/portcullis.js over the
 * compiled dist/, as a child process): the shipped example guards pass their table-driven cases, wrong expectations
 * and bad case files fail with the right exit code and no stack trace, --guard-config changes the decision, a hostile
 * guard is stopped rather than hanging the command, and `list` shows the directory (or a running gateway's live chain)
 * with every refusal and its reason.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtureStdio, freePort } from '../helpers/backends.js';
import { type CliResult, buildDist, runPortcullis } from '../helpers/cli.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';
import { HOSTILE, compileWat, watGuard, writeGuard, writeManifest } from '../helpers/wat-guards.js';

const SHIPPED = ['pattern-guard', 'pii-redact', 'lethal-trifecta'] as const;
const ALLOW = '{"decision":"allow"}';
const TOKEN = 'guards-cli-token-0123456789';
/** A stack trace line (`    at fn (file:1:2)`): a user error must never print one. */
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

let root: string;
/** One good guard, one without a manifest, one without a memory maximum. */
let mixedDir: string;
/** Only good guards. */
let goodDir: string;
let mixedConfig: string;
let goodConfig: string;
/** Case files and hostile guards for `guards test`. */
let cases: string;
/** One request envelope whose argument holds "secret". */
let secretEnvelope: string;

function tmp(...parts: string[]): string {
  return join(root, ...parts);
}

/** A CLI config naming `guardsDir`; its listeners are wherever the caller says (nothing listens there by default). */
function writeConfig(
  file: string,
  options: { guardsDir: string; serverPort: number; adminPort: number; token?: string },
): string {
  const admin = options.token ? `, tokens: { ops: "${options.token}" }` : '';
  writeFileSync(
    file,
    [
      `server: { host: 127.0.0.1, port: ${options.serverPort} }`,
      `admin: { host: 127.0.0.1, port: ${options.adminPort}${admin} }`,
      `identity: { require_signature: false, keys_dir: ${JSON.stringify(join(root, 'keys'))} }`,
      'default_policy: allow',
      `storage: { sqlite: ${JSON.stringify(join(root, 'cli.db'))} }`,
      'rules: { dirs: [] }',
      `guards: { dir: ${JSON.stringify(options.guardsDir)} }`,
      '',
    ].join('\n'),
  );
  return file;
}

function writeJson(file: string, value: unknown): string {
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

/** `guards list --json` output, one object per line. */
function jsonRows(result: CliResult): Record<string, unknown>[] {
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

beforeAll(async () => {
  await buildDist();
  root = realpathSync(mkdtempSync(join(tmpdir(), 'portcullis-guards-cli-')));
  mixedDir = tmp('mixed');
  goodDir = tmp('good');
  cases = tmp('cases');
  for (const dir of [mixedDir, goodDir, cases, tmp('keys')]) mkdirSync(dir);

  await writeGuard(goodDir, 'allow-all', watGuard({ name: 'allow-all', request: ALLOW }), { priority: 10 });
  await writeGuard(mixedDir, 'allow-all', watGuard({ name: 'allow-all', request: ALLOW }), { priority: 10 });
  // A module without its manifest: the gateway refuses it (guards test would run it with defaults).
  writeFileSync(join(mixedDir, 'orphan.wasm'), await compileWat(watGuard({ name: 'orphan', request: ALLOW })));
  await writeGuard(mixedDir, 'unbounded', watGuard({ name: 'unbounded', request: ALLOW, memory: '1' }));

  // Nothing listens on these ports: `list` falls back to loading the directory itself.
  const [serverPort, adminPort] = [await freePort(), await freePort()];
  mixedConfig = writeConfig(tmp('mixed.yaml'), { guardsDir: mixedDir, serverPort, adminPort });
  goodConfig = writeConfig(tmp('good.yaml'), { guardsDir: goodDir, serverPort, adminPort });

  await writeGuard(cases, 'looper', watGuard({ name: 'looper', request: HOSTILE.loop }), { timeout_ms: 50 });
  await writeGuard(cases, 'trapper', watGuard({ name: 'trapper', request: HOSTILE.trap }));
  secretEnvelope = writeJson(join(cases, 'secret-envelope.json'), {
    phase: 'request',
    tool: 'read',
    arguments: { q: 'my secret' },
  });
}, 150_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.concurrent('guards test: the shipped examples', () => {
  // What `npm test` relies on: every example's cases.json passes against its built module and manifest.
  it.each(SHIPPED)('%s passes every case of its examples/…/cases.json', async (name) => {
    const file = `guards/examples/${name}/cases.json`;
    const expected = (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { name: string }[]).map((c) => c.name);
    expect(expected.length).toBeGreaterThan(0);
    const result = await runPortcullis(['guards', 'test', `guards/${name}.wasm`, '--input', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('FAIL');
    for (const caseName of expected) expect(result.stdout).toContain(`PASS ${caseName}\n`);
    expect(result.stdout).toContain(`${expected.length} case(s): all pass`);
  });
});

describe.concurrent('guards test: case files', () => {
  it('a wrong expectation exits 1, names the failing case and what differed, and still runs the others', async () => {
    const file = writeJson(join(cases, 'wrong.json'), [
      {
        name: 'harmless call',
        config: { patterns: ['secret'] },
        input: { phase: 'request', tool: 'read', arguments: { q: 'hello' } },
        expect: { decision: 'allow' },
      },
      {
        name: 'expects allow but is denied',
        config: { patterns: ['secret'] },
        input: { phase: 'request', tool: 'read', arguments: { q: 'a secret' } },
        expect: { decision: 'allow' },
      },
    ]);
    const result = await runPortcullis(['guards', 'test', 'guards/pattern-guard.wasm', '--input', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('PASS harmless call\n');
    expect(result.stdout).toContain('FAIL expects allow but is denied\n  decision deny, expected allow\n');
    expect(result.stdout).toContain('2 case(s): 1 failed');
  });

  it.each([
    ['not JSON', 'not json', /not JSON: /],
    [
      'a list whose case has an unknown decision',
      [{ name: 'x', input: { phase: 'request' }, expect: { decision: 'maybe' } }],
      /0\.expect\.decision: .*"allow"\|"deny"\|"quarantine"/,
    ],
    [
      'an envelope with an unknown key',
      { phase: 'request', tool: 'x', bogus: 1 },
      /\(top\): Unrecognized key: "bogus"/,
    ],
    ['an envelope with an unknown phase', { phase: 'sometimes' }, /phase: /],
  ])(
    'a case file that is %s is a user error (exit 1) naming the file, without a stack trace',
    async (label, content, message) => {
      const file = writeJson(join(cases, `${label.replace(/\W+/g, '-')}.json`), content);
      const result = await runPortcullis(['guards', 'test', 'guards/pattern-guard.wasm', '--input', file]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^${escape(file)}: `));
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(STACK);
    },
  );

  it('a missing case file is a user error naming it', async () => {
    const file = join(cases, 'no-such-cases.json');
    const result = await runPortcullis(['guards', 'test', 'guards/pattern-guard.wasm', '--input', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${escape(file)}: ENOENT`));
    expect(result.stderr).not.toMatch(STACK);
  });

  it('a missing wasm file is a user error naming it', async () => {
    const wasm = join(cases, 'no-such-guard.wasm');
    const result = await runPortcullis(['guards', 'test', wasm, '--input', 'guards/examples/pattern-guard/cases.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${wasm}: no such file\n`);
  });

  it.each([
    ['no --input', ['guards', 'test', 'guards/pattern-guard.wasm'], /test needs --input CASE\.json/],
    [
      'no guard file',
      ['guards', 'test', '--input', 'guards/examples/pattern-guard/cases.json'],
      /test takes a guard \.wasm file/,
    ],
    [
      'a guard file that is not .wasm',
      ['guards', 'test', 'guards/pattern-guard.guard.yaml', '--input', 'guards/examples/pattern-guard/cases.json'],
      /expected a \.wasm file/,
    ],
    ['an unknown flag', ['guards', 'test', 'guards/pattern-guard.wasm', '--inptu', 'x.json'], /--inptu/],
  ])('%s is a usage error (exit 2) with the usage text', async (_label, args, message) => {
    const result = await runPortcullis(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: portcullis guards list');
  });

  it('a module without a manifest runs with the default manifest (as the help says), with a warning that the gateway refuses it', async () => {
    const result = await runPortcullis(['guards', 'test', join(mixedDir, 'orphan.wasm'), '--input', secretEnvelope]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: no orphan\.guard\.yaml beside .*the gateway refuses a guard without one\n/);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'allow', failures: [] });
  });

  it('a guard the gateway would refuse is refused with its reason (exit 1)', async () => {
    const wasm = join(mixedDir, 'unbounded.wasm');
    const result = await runPortcullis(['guards', 'test', wasm, '--input', 'guards/examples/pattern-guard/cases.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${escape(wasm)}: refused\n  .*no memory maximum`, 'm'));
  });
});

describe.concurrent('guards test: --guard-config', () => {
  it.each([
    ['without it, the shipped (inert) config allows', [], { decision: 'allow', failures: [] }],
    [
      'with patterns, the same call is denied',
      ['--guard-config', '{"patterns":["secret"]}'],
      { decision: 'deny', guard: 'pattern-guard', code: 'pattern_match', failures: [] },
    ],
  ])('a single envelope: %s', async (_label, extra, verdict) => {
    const result = await runPortcullis([
      'guards',
      'test',
      'guards/pattern-guard.wasm',
      '--input',
      secretEnvelope,
      ...extra,
    ]);
    // One envelope prints the verdict; the decision itself is not a failure.
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject(verdict);
    expect(printed.ms).toEqual(expect.any(Number));
  });

  it("wins over each case's own config", async () => {
    // The shipped cases configure patterns per case; an empty list for all of them makes the deny cases fail.
    const result = await runPortcullis([
      'guards',
      'test',
      'guards/pattern-guard.wasm',
      '--input',
      'guards/examples/pattern-guard/cases.json',
      '--guard-config',
      '{"patterns":[]}',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL tool name matches, case-insensitive\n  decision allow, expected deny\n');
    expect(result.stdout).toContain('PASS shipped inert: no patterns, nothing denied\n');
  });

  it('invalid JSON is a usage error (exit 2) saying so', async () => {
    const result = await runPortcullis([
      'guards',
      'test',
      'guards/pattern-guard.wasm',
      '--input',
      secretEnvelope,
      '--guard-config',
      '{patterns:',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^portcullis guards: --guard-config is not JSON: /);
    expect(result.stderr).not.toMatch(STACK);
    expect(result.stdout).toBe('');
  });
});

describe.concurrent('guards test: hostile guards', () => {
  it('an infinite loop with timeout_ms 50 is stopped: guard_error:timeout, exit 1, well under 10 s', async () => {
    const file = writeJson(join(cases, 'loop-envelope.json'), { phase: 'request', tool: 'spin' });
    const startedAt = performance.now();
    const result = await runPortcullis(['guards', 'test', join(cases, 'looper.wasm'), '--input', file], {
      timeoutMs: 20_000,
    });
    expect(performance.now() - startedAt).toBeLessThan(10_000);
    expect(result.signal).toBeNull();
    // fail_closed (the default): the guard's failure is the decision, and a failure makes the run exit 1.
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      decision: 'deny',
      guard: 'looper',
      code: 'guard_error:timeout',
      failures: [{ guard: 'looper', kind: 'timeout', message: expect.stringMatching(/ran past its 50 ms/) }],
    });
    // The failure is logged as a plain line, not the gateway's JSON log.
    expect(result.stderr).toMatch(/^warn: guard failed guard="looper" kind="timeout" /m);
    expect(result.stderr).not.toMatch(/^\{/m);
  });

  it('a case list may expect the failure: both cases pass, the second answered by the benched guard', async () => {
    const spin = { phase: 'request', tool: 'spin' };
    const file = writeJson(join(cases, 'loop-cases.json'), [
      { name: 'first call times out', input: spin, expect: { decision: 'deny', code: 'guard_error:timeout' } },
      { name: 'benched afterwards', input: spin, expect: { decision: 'deny', code: 'guard_error:timeout' } },
    ]);
    const startedAt = performance.now();
    const result = await runPortcullis(['guards', 'test', join(cases, 'looper.wasm'), '--input', file], {
      timeoutMs: 20_000,
    });
    expect(performance.now() - startedAt).toBeLessThan(10_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS first call times out\nPASS benched afterwards\n2 case(s): all pass');
  });

  it('a trap is reported as guard_error:trap', async () => {
    const file = writeJson(join(cases, 'trap-envelope.json'), { phase: 'request', tool: 'x' });
    const result = await runPortcullis(['guards', 'test', join(cases, 'trapper.wasm'), '--input', file]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      decision: 'deny',
      code: 'guard_error:trap',
      failures: [{ kind: 'trap' }],
    });
  });
});

describe.concurrent('guards list without a gateway', () => {
  it('shows the good guard active and each refused one with its reason; exit 1 because of the refusals', async () => {
    const result = await runPortcullis(['guards', 'list', '--config', mixedConfig]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^allow-all\s+active\s+priority 10\s+request\s+sha256 [0-9a-f]{12}…\s+calls 0\s+failures 0\s+p50 -$/m,
    );
    expect(result.stdout).toMatch(/^orphan\s+refused\n\s+has no manifest: write .*orphan\.guard\.yaml/m);
    expect(result.stdout).toMatch(/^unbounded\s+refused\n\s+.*no memory maximum/m);
    expect(result.stdout).toContain(`3 guard(s), from ${mixedDir} (no gateway running: no calls yet)\n`);
  });

  it('--json prints one object per line with name, status and problems', async () => {
    const result = await runPortcullis(['guards', 'list', '--json', '--config', mixedConfig]);
    expect(result.code).toBe(1);
    const rows = jsonRows(result);
    // No gateway is running: every line says it was read from the directory.
    expect(rows.every((r) => r.source === 'directory')).toBe(true);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['allow-all', 'active'],
      ['orphan', 'refused'],
      ['unbounded', 'refused'],
    ]);
    expect(rows[0]).toMatchObject({
      priority: 10,
      phases: ['request'],
      calls: 0,
      problems: [],
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((rows[2]?.problems as string[]).join(' ')).toMatch(/no memory maximum/);
    // No summary line in JSON mode: every line parses.
    expect(result.stdout).not.toContain('guard(s)');
  });

  it('with only good guards it exits 0', async () => {
    const result = await runPortcullis(['guards', 'list', '--config', goodConfig]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`1 guard(s), from ${goodDir} (no gateway running: no calls yet)\n`);
  });

  it('an empty guards dir says so', async () => {
    const empty = tmp('empty');
    mkdirSync(empty, { recursive: true });
    const config = writeConfig(tmp('empty.yaml'), {
      guardsDir: empty,
      serverPort: await freePort(),
      adminPort: await freePort(),
    });
    const result = await runPortcullis(['guards', 'list', '--config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`No guards in ${empty}.\n`);
  });
});

describe.concurrent('verify with guards', () => {
  it('a refused guard fails verify (exit 1) with file and reason for each', async () => {
    const result = await runPortcullis(['verify', '--config', mixedConfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(mixedDir, 'orphan.wasm')}: has no manifest`);
    expect(result.stderr).toMatch(new RegExp(`^${escape(join(mixedDir, 'unbounded.wasm'))}: .*no memory maximum`, 'm'));
    expect(result.stdout).not.toContain('OK');
  });

  it('only good guards: exit 0, and the active guards are counted', async () => {
    const result = await runPortcullis(['verify', '--config', goodConfig]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${goodConfig}: OK (0 backend(s), 0 rule(s) from 0 file(s), 1 guard(s))\n`);
  });
});

describe.concurrent('guards help and usage', () => {
  it('portcullis guards --help prints the usage, exit 0', async () => {
    const result = await runPortcullis(['guards', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Usage: portcullis guards list \[--json\] \[--reviewer NAME\]\n\s+portcullis guards test GUARD\.wasm --input CASE\.json/,
    );
  });

  it.each([
    ['an unknown subcommand', ['guards', 'frobnicate'], /unknown subcommand 'frobnicate'/],
    ['no subcommand', ['guards'], /name a subcommand \(list or test\)/],
    ['an extra argument to list', ['guards', 'list', 'extra'], /unexpected argument: extra/],
  ])('%s exits 2 with the usage', async (_label, args, message) => {
    const result = await runPortcullis(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: portcullis guards list');
  });
});

describe('guards list with a gateway running', () => {
  let liveDir: string;
  let started: StartedGateway;
  let conn: ConnectedClient;
  let liveConfig: string;

  beforeAll(async () => {
    liveDir = tmp('live');
    mkdirSync(liveDir);
    copyFileSync(join(REPO_ROOT, 'guards/pattern-guard.wasm'), join(liveDir, 'pattern-guard.wasm'));
    writeManifest(liveDir, 'pattern-guard', {
      priority: 100,
      phases: ['request'],
      config: { patterns: ['drop_table'] },
    });
    started = await startGateway({
      backends: { content: fixtureStdio('content-server.mjs') },
      yaml: `{ admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${TOKEN}" } }, guards: { dir: ${JSON.stringify(liveDir)} } }`,
    });
    // The CLI reaches the gateway through the admin listener named in its config (port 0 was resolved at start).
    liveConfig = writeConfig(tmp('live.yaml'), {
      guardsDir: liveDir,
      serverPort: Number(new URL(started.url).port),
      adminPort: Number(new URL(started.gateway.adminUrl as string).port),
      token: TOKEN,
    });
    conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
  });

  afterAll(async () => {
    await conn?.close();
    await started?.stop();
  });

  it('shows the live chain with call counts, which grow as calls go through', async () => {
    const before = jsonRows(await runPortcullis(['guards', 'list', '--json', '--config', liveConfig]));
    expect(before).toEqual([expect.objectContaining({ name: 'pattern-guard', status: 'active', source: 'gateway' })]);
    const calls = before[0]?.calls as number;

    await conn.client.callTool({ name: 'content__echo', arguments: { text: 'harmless' } });
    await expect(
      conn.client.callTool({ name: 'content__echo', arguments: { text: 'DROP_TABLE users' } }),
    ).rejects.toMatchObject({
      data: { guard: 'pattern-guard', code: 'pattern_match' },
    });

    const after = await runPortcullis(['guards', 'list', '--config', liveConfig]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(
      new RegExp(
        `^pattern-guard\\s+active\\s+priority 100\\s+request\\s+sha256 [0-9a-f]{12}…\\s+calls ${calls + 2}\\s+failures 0\\s+p50 [\\d.]+ ms$`,
        'm',
      ),
    );
    expect(after.stdout).toContain('1 guard(s), from the running gateway\n');
  });

  it('a guard refused by the running gateway is listed live with its reason', async () => {
    writeFileSync(join(liveDir, 'orphan.wasm'), await compileWat(watGuard({ name: 'orphan', request: ALLOW })));
    await started.gateway.reloadGuards();
    try {
      const result = await runPortcullis(['guards', 'list', '--json', '--config', liveConfig]);
      expect(result.code).toBe(1);
      const rows = jsonRows(result);
      expect(rows.map((r) => [r.name, r.status])).toEqual([
        ['pattern-guard', 'active'],
        ['orphan', 'refused'],
      ]);
      // The live row keeps its counts (calls from the previous test): it is the gateway's chain, not a fresh load.
      expect(rows[0]?.calls).toBeGreaterThan(0);
      expect((rows[1]?.problems as string[]).join(' ')).toMatch(/has no manifest/);
    } finally {
      rmSync(join(liveDir, 'orphan.wasm'));
      await started.gateway.reloadGuards();
    }
  });

  it('an unknown --reviewer is a usage error', async () => {
    const result = await runPortcullis(['guards', 'list', '--reviewer', 'mallory', '--config', liveConfig]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--reviewer mallory: no such name in admin\.tokens/);
  });

  it('a config without an admin token warns that the running gateway cannot be asked, and lists the directory', async () => {
    const noToken = writeConfig(tmp('live-no-token.yaml'), {
      guardsDir: liveDir,
      serverPort: Number(new URL(started.url).port),
      adminPort: Number(new URL(started.gateway.adminUrl as string).port),
    });
    const result = await runPortcullis(['guards', 'list', '--config', noToken]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'warning: a gateway is running with this config but its admin API is off: add a token to admin.tokens and restart it; showing the directory as it would load\n',
    );
    expect(result.stdout).toMatch(/^pattern-guard\s+active\s.*calls 0\s/m);
    // (The summary line still says "no gateway running" here, so only its directory part is pinned.)
    expect(result.stdout).toContain(`1 guard(s), from ${liveDir}`);
  });
});
