import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem, loadConfig, parseConfigText } from './load.js';
import type { ConfigProblem, LoadResult } from './load.js';
import type { Config } from './schema.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'full', 'portcullis.yaml');

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
  file = join(dir, 'portcullis.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, env: Record<string, string | undefined> = {}): LoadResult {
  return parseConfigText(text, file, env);
}

function loaded(text: string, env: Record<string, string | undefined> = {}): Config {
  const result = load(text, env);
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.config;
}

function problems(text: string, env: Record<string, string | undefined> = {}): ConfigProblem[] {
  const result = load(text, env);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

describe('defaults', () => {
  it.each(['', '{}', '# only a comment\n'])('an empty config (%j) is the full default config', (text) => {
    const config = loaded(text);
    expect(config.identity.require_signature).toBe(true);
    expect(config.default_policy).toBe('deny');
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      max_body_bytes: 4_194_304,
      allowed_origins: [],
      allowed_hosts: [],
      trusted_proxies: [],
      loopback_only: false,
    });
    expect(config.storage.sqlite).toBe(join(dir, 'data', 'portcullis.db'));
    expect(config.rules.dirs).toEqual([join(dir, 'rules')]);
  });

  it('warns about each default directory that does not exist', () => {
    const result = load('');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toHaveLength(3);
    expect(result.warnings.join('\n')).toContain(`identity.keys_dir: default directory ${join(dir, 'keys')}`);
    expect(result.warnings.join('\n')).toContain('rules.dirs[0]');
    expect(result.warnings.join('\n')).toContain('guards.dir');
  });

  it('does not warn when the default directories exist', () => {
    for (const name of ['keys', 'rules', 'guards']) mkdirSync(join(dir, name));
    const result = load('');
    expect(result.ok && result.warnings).toEqual([]);
  });
});

describe('the full example', () => {
  it('loads every key of DESIGN.md §4', () => {
    const result = loadConfig(FIXTURE, { ALICE_TOKEN: 'a-token-of-sixteen+' });
    if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
    const { config } = result;
    const base = dirname(FIXTURE);
    expect(result.warnings).toEqual([]);
    expect(config.mode).toBe('observe');
    expect(config.admin.tokens).toEqual({ alice: 'a-token-of-sixteen+' });
    expect(config.backends['files']).toMatchObject({ transport: 'http', timeout_s: 0.5 });
    expect(config.backends['files']).toHaveProperty('headers', { Authorization: 'Bearer dev-token' });
    expect(config.backends['everything']).toMatchObject({ transport: 'stdio', cwd: base, per_session: true });
    expect(config.agents['analysis-bot']).toEqual({
      allow: [],
      deny: [],
      can_message: [],
      blocked_categories: [],
      approval: [],
      suspended: false,
    });
    expect(config.rules.overrides).toEqual([
      { id: 'PI-001', action: 'quarantine', tools: ['files/*'] },
      { id: 'PII-002', action: 'ignore' },
    ]);
    expect(config.identity.keys_dir).toBe(join(base, 'keys'));
    expect(config.webhooks[0]?.secret).toBe('local-secret');
  });
});

describe('problems', () => {
  it.each([
    ['sever:\n  port: 1\n', 1, 1, 'sever', /unknown key "sever" \(did you mean "server"\?\)/],
    ['server:\n  host: 127.0.0.1\n  prot: 1\n', 3, 3, 'server.prot', /unknown key "prot" \(did you mean "port"\?\)/],
    ['server: { prot: 1 }\n', 1, 11, 'server.prot', /unknown key "prot"/],
    ['server:\n  port: 70000\n', 2, 9, 'server.port', /Too big/],
    ['mode: enforcing\n', 1, 7, 'mode', /enforce/],
    ['backends:\n  files:\n    transport: http\n', 2, 3, 'backends.files.url', /missing required key "url"/],
    ['backends:\n  files: { transport: http, url: "ftp://x/y" }\n', 2, 34, 'backends.files.url', /http: or https:/],
    ['admin:\n  tokens:\n    alice: short\n', 3, 12, 'admin.tokens.alice', /at least 16 characters/],
  ])('%j is reported at line %i col %i as %s', (text, line, column, path, message) => {
    const [problem, ...rest] = problems(text);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file, line, column, path });
    expect(problem?.message).toMatch(message);
    expect(formatProblem(problem as ConfigProblem)).toMatch(`${file}:${line}:${column}: ${path}: `);
  });

  it.each([
    ['files_v2', /no "_": tools are namespaced <backend>__<name>/],
    ['files__v2', /no "_"/],
    ['-files', /backend id/],
  ])('rejects the backend id %s', (id, message) => {
    const [problem] = problems(`backends:\n  ${id}: { transport: stdio, command: node }\n`);
    expect(problem).toMatchObject({ line: 2, column: 3 });
    expect(problem?.message).toMatch(message);
  });

  it('reports every problem at once, in file order', () => {
    const text = [
      'server:',
      '  prot: 8080', // 2
      'mode: loud', // 3
      'backends:',
      '  a_b: { transport: stdio, command: node }', // 5
      'rules:',
      '  oversize_action: explode', // 7
      'webhooks:',
      '  - url: https://example.com', // 9: events and secret missing
    ].join('\n');
    const found = problems(text);
    expect(found.map((p) => [p.line, p.path])).toEqual([
      [2, 'server.prot'],
      [3, 'mode'],
      [5, 'backends.a_b'],
      [7, 'rules.oversize_action'],
      [9, 'webhooks[0].events'],
      [9, 'webhooks[0].secret'],
    ]);
  });

  it('reports a YAML syntax error with its line', () => {
    const [problem] = problems('server:\n  port: 8080\n  allowed_hosts: [a,\nmode: enforce\n');
    expect(problem).toMatchObject({ file, line: 4, column: 1, message: expect.stringMatching(/flow sequence/i) });
  });

  it('reports one syntax error per line, with a hint for an unquoted ${VAR} inside { }', () => {
    const found = problems('storage: { sqlite: ${DB} }\n', { DB: 'x' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 1, message: expect.stringMatching(/quote a reference: "\$\{VAR\}"/) });
  });

  it('rejects a duplicate key', () => {
    const [problem, ...rest] = problems('mode: enforce\nserver: {}\nmode: observe\n');
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ line: 3, column: 1, message: expect.stringMatching(/duplicate key "mode"/) });
  });

  it('rejects an unresolved YAML tag rather than guessing what it meant', () => {
    const [problem] = problems('server:\n  host: !env HOST\n');
    expect(problem).toMatchObject({ line: 2, message: expect.stringMatching(/tag/i) });
  });

  it('rejects an alias to an anchor that is not defined yet', () => {
    const [problem] = problems('server:\n  allowed_hosts: *hosts\n');
    expect(problem).toMatchObject({ line: 2, message: expect.stringMatching(/unknown alias "\*hosts"/) });
  });

  it('rejects a recursive alias instead of looping', () => {
    expect(problems('approval:\n  require: &a [x, *a]\n')[0]?.message).toMatch(/cycle/);
  });

  it('rejects a root that is not a map', () => {
    expect(problems('- a\n- b\n')[0]?.message).toMatch(/expected object/);
  });

  it('enforces server.loopback_only on both listeners', () => {
    const found = problems('server: { loopback_only: true, host: 0.0.0.0 }\nadmin: { host: 192.168.1.2 }\n');
    expect(found.map((p) => p.path)).toEqual(['server.host', 'admin.host']);
  });

  it('reports a missing config file as a problem', () => {
    const result = loadConfig(join(dir, 'nope.yaml'), {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblem(result.errors[0] as ConfigProblem)).toMatch(/nope\.yaml: cannot read/);
  });
});

describe('environment variables', () => {
  it('expands set variables and defaults, with numbers taken from their decimal string', () => {
    const config = loaded('server:\n  port: ${PORT}\n  host: ${HOST:-localhost}\n', { PORT: '9000' });
    expect(config.server.port).toBe(9000);
    expect(config.server.host).toBe('localhost');
  });

  it('reports a variable whose value does not fit the key', () => {
    const [problem] = problems('server:\n  port: ${PORT}\n', { PORT: 'eighty' });
    expect(problem).toMatchObject({ line: 2, path: 'server.port', message: expect.stringMatching(/expected number/) });
  });

  it('reports an unset variable with its name, file and line', () => {
    const [problem, ...rest] = problems('admin:\n  tokens:\n    alice: ${ALICE_TOKEN}\n');
    expect(rest).toEqual([]); // not also "too short": the raw reference is not validated
    expect(problem).toMatchObject({ file, line: 3, path: 'admin.tokens.alice' });
    expect(problem?.message).toMatch(/ALICE_TOKEN is not set/);
  });

  it('keeps $${ as a literal ${', () => {
    expect(loaded('approval:\n  require: ["files/$${NOT_A_VAR}"]\n').approval.require).toEqual(['files/${NOT_A_VAR}']);
  });

  it('never lets a value inject YAML', () => {
    const evil = 'x"\n  evil: 1\nmode: observe';
    const config = loaded('approval:\n  require: ["files/${EVIL}"]\nserver:\n  host: ${EVIL}\n', { EVIL: evil });
    expect(config.approval.require).toEqual([`files/${evil}`]);
    expect(config.server.host).toBe(evil);
    expect(config.mode).toBe('enforce');
  });

  it('does not expand map keys', () => {
    expect(problems('agents:\n  ${BOT}: {}\n', { BOT: 'bot' })[0]?.path).toBe('agents["${BOT}"]');
  });
});

describe('paths', () => {
  it('resolves relative paths against the config file, not the working directory', () => {
    for (const name of ['k', 'r1', 'r2', 'g', 'work']) mkdirSync(join(dir, name));
    const config = loaded(
      [
        'storage: { sqlite: ./db/p.db }',
        'identity: { keys_dir: k }',
        'rules: { dirs: [./r1, r2] }',
        'guards: { dir: ./g }',
        'backends:',
        '  a: { transport: stdio, command: ./bin/server, args: [./x.js] }',
        '  b: { transport: stdio, command: node, cwd: ./work }',
      ].join('\n'),
    );
    expect(config.storage.sqlite).toBe(join(dir, 'db', 'p.db'));
    expect(config.identity.keys_dir).toBe(join(dir, 'k'));
    expect(config.rules.dirs).toEqual([join(dir, 'r1'), join(dir, 'r2')]);
    expect(config.guards.dir).toBe(join(dir, 'g'));
    expect(config.backends['a']).toMatchObject({ command: './bin/server', args: ['./x.js'], cwd: dir });
    expect(config.backends['b']).toMatchObject({ cwd: join(dir, 'work') });
  });

  it('keeps absolute paths and the SQLite in-memory name', () => {
    mkdirSync(join(dir, 'abs'));
    const config = loaded(`storage: { sqlite: ":memory:" }\nguards: { dir: ${join(dir, 'abs')} }\n`);
    expect(config.storage.sqlite).toBe(':memory:');
    expect(config.guards.dir).toBe(join(dir, 'abs'));
  });

  it.each([
    ['identity:\n  keys_dir: ./missing\n', 'identity.keys_dir', 2],
    ['guards:\n  dir: ./missing\n', 'guards.dir', 2],
    ['rules:\n  dirs: [./rules]\n', 'rules.dirs[0]', 2],
    ['backends:\n  a:\n    transport: stdio\n    command: node\n    cwd: ./missing\n', 'backends.a.cwd', 5],
  ])('an explicitly named directory must exist: %j', (text, path, line) => {
    const [problem, ...rest] = problems(text);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ path, line, message: expect.stringMatching(/does not exist/) });
  });

  it('rejects a named directory that is a file', () => {
    writeFileSync(join(dir, 'keys.txt'), '');
    expect(problems('identity: { keys_dir: ./keys.txt }\n')[0]?.message).toMatch(/is not a directory/);
  });
});

describe('the loaded config', () => {
  it('is deep-frozen', () => {
    const config = loaded('backends:\n  a: { transport: stdio, command: node, args: [x] }\n');
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.backends['a'] as { args: string[] }).args.push('y')).toThrow(TypeError);
    expect(() => {
      (config.rules.dirs as string[])[0] = '/';
    }).toThrow(TypeError);
  });

  it('is a new object on every load (a reload never shares state with the old config)', () => {
    expect(loaded('').rules.dirs).not.toBe(loaded('').rules.dirs);
  });
});
