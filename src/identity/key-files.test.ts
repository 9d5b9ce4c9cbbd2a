import { chmod, copyFile, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, isAgentName, loadKeyDir, writeKeyPair } from './key-files.js';
import { parsePrivateKeyPem, parsePublicKeyPem } from './keys.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateKeyPair', () => {
  it('gives PEMs that load as a matching pair', () => {
    const pair = generateKeyPair();
    const pub = parsePublicKeyPem(pair.publicKeyPem, 'pub');
    const priv = parsePrivateKeyPem(pair.privateKeyPem, 'key');
    if (!pub.ok || !priv.ok) throw new Error('generated keys did not load');
    expect(pub.key.fingerprint).toBe(pair.fingerprint);
    expect(priv.key.publicKey.fingerprint).toBe(pair.fingerprint);
  });
});

describe('writeKeyPair', () => {
  it('writes AGENT.key with mode 0600 and AGENT.pub', async () => {
    const result = await writeKeyPair(dir, 'research-bot');
    if (!result.ok) throw new Error(result.problem);
    expect((await stat(result.keyPath)).mode & 0o777).toBe(0o600);
    expect(result.keyPath).toBe(join(dir, 'research-bot.key'));
    const pub = parsePublicKeyPem(await readFile(result.pubPath, 'utf8'), result.pubPath);
    expect(pub.ok && pub.key.fingerprint).toBe(result.fingerprint);
  });

  it('creates the private key with mode 0600 from the start (never widened later)', async () => {
    const previous = process.umask(0);
    try {
      const result = await writeKeyPair(dir, 'bot');
      expect(result.ok && (await stat(result.keyPath)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('refuses to overwrite an existing key pair', async () => {
    await writeKeyPair(dir, 'bot');
    const before = await readFile(join(dir, 'bot.key'), 'utf8');
    const again = await writeKeyPair(dir, 'bot');
    expect(again).toEqual({
      ok: false,
      problem: expect.stringMatching(/bot\.key already exists; refusing to overwrite/),
    });
    expect(await readFile(join(dir, 'bot.key'), 'utf8')).toBe(before);
  });

  it('refuses when only AGENT.pub exists, and leaves no private key behind', async () => {
    await writeFile(join(dir, 'bot.pub'), 'someone else\n');
    expect(await writeKeyPair(dir, 'bot')).toMatchObject({ ok: false, problem: expect.stringMatching(/bot\.pub/) });
    await expect(stat(join(dir, 'bot.key'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir, 'bot.pub'), 'utf8')).toBe('someone else\n');
  });

  it('refuses a symlink planted at the private key path', async () => {
    await symlink(join(dir, 'elsewhere'), join(dir, 'bot.key'));
    expect(await writeKeyPair(dir, 'bot')).toMatchObject({ ok: false });
    await expect(stat(join(dir, 'elsewhere'))).rejects.toThrow(/ENOENT/);
  });

  it('creates a missing directory', async () => {
    expect(await writeKeyPair(join(dir, 'a', 'b'), 'bot')).toMatchObject({ ok: true });
  });

  it.each(['', '.hidden', '../escape', 'a/b', '-dash', 'x'.repeat(65), 'é'])('refuses agent name %j', async (name) => {
    expect(await writeKeyPair(dir, name)).toMatchObject({ ok: false, problem: expect.stringMatching(/invalid agent/) });
  });
});

describe('isAgentName', () => {
  it.each([
    ['research-bot', true],
    ['A1_b.c-d', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['_lead', false],
    ['has space', false],
  ])('%s → %s', (name, expected) => {
    expect(isAgentName(name)).toBe(expected);
  });
});

describe('loadKeyDir', () => {
  it('loads the good keys and reports every bad file with its reason', async () => {
    await writeKeyPair(dir, 'alpha');
    await writeKeyPair(dir, 'beta');
    for (const file of ['small-order.pub', 'non-canonical.pub', 'not-a-key.pub', 'rsa.pub']) {
      await copyFile(join(FIXTURES, file), join(dir, file));
    }
    await copyFile(join(FIXTURES, 'rfc9421-test-key.key'), join(dir, 'private-as-public.pub'));
    await copyFile(join(FIXTURES, 'rfc9421-test-key.pub'), join(dir, 'bad name!.pub'));
    await writeFile(join(dir, 'README.md'), 'not a key, not a .pub: ignored');

    const { keys, problems } = await loadKeyDir(dir);
    expect([...keys.keys()]).toEqual(['alpha', 'beta']);
    expect(Object.fromEntries(problems.map((p) => [p.file.slice(dir.length + 1), p.reason]))).toEqual({
      'bad name!.pub': expect.stringMatching(/not a valid agent name/),
      'non-canonical.pub': expect.stringMatching(/non-canonical encoding/),
      'not-a-key.pub': expect.stringMatching(/not a PEM file/),
      'private-as-public.pub': expect.stringMatching(/holds a private key/),
      'rsa.pub': expect.stringMatching(/rsa key, expected ed25519/),
      'small-order.pub': expect.stringMatching(/small-order point/),
    });
  });

  it('reports a private key readable by others', async () => {
    await writeKeyPair(dir, 'bot');
    await chmod(join(dir, 'bot.key'), 0o644);
    const { keys, problems } = await loadKeyDir(dir);
    expect(keys.has('bot')).toBe(true);
    expect(problems).toEqual([{ file: join(dir, 'bot.key'), reason: expect.stringMatching(/mode 0644.*chmod 600/) }]);
  });

  it('loads neither of two agents that share one public key', async () => {
    await copyFile(join(FIXTURES, 'rfc9421-test-key.pub'), join(dir, 'one.pub'));
    await copyFile(join(FIXTURES, 'rfc9421-test-key.pub'), join(dir, 'two.pub'));
    await writeKeyPair(dir, 'three');
    const { keys, problems } = await loadKeyDir(dir);
    expect([...keys.keys()]).toEqual(['three']);
    expect(problems.map((p) => p.reason)).toEqual([
      'the same public key is also given for two',
      'the same public key is also given for one',
    ]);
  });

  it('reports a missing directory as a problem, not a throw', async () => {
    const result = await loadKeyDir(join(dir, 'missing'));
    expect(result.keys.size).toBe(0);
    expect(result.problems).toEqual([{ file: join(dir, 'missing'), reason: expect.stringMatching(/ENOENT/) }]);
  });
});
