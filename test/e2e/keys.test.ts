/**
 * Key rotation and revocation (DESIGN.md §4): `portcullis keys rotate` issues a new key while the old one keeps
 * working for rotation_grace_s; `keys revoke` refuses a key from the next request on; both through the running
 * gateway's admin API, recorded in the audit log. With no gateway running the stored state changes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { signRequest } from '../../src/identity/signer.js';
import { runCommand } from '../../src/main.js';
import { readAudit } from '../helpers/audit.js';
import { everythingStdio, freePort } from '../helpers/backends.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const TOKEN = 'keys-admin-token-0123456789';
let keysDir: string;
let gw: StartedGateway;
let cliConfig: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommand([...argv, '--config', cliConfig], { out: (t) => void (out += t), err: (t) => void (err += t), env: {} });
  return { code, out, err };
}

/** Sends a signed initialize as `agent` with `privateKey`; true when the gateway accepted the signature. */
async function accepted(agent: string, privateKey: string): Promise<boolean> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'k', version: '1' } } });
  const signed = signRequest({ agent, privateKey, method: 'POST', url: gw.url, body });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...signed };
  const text = await (await fetch(gw.url, { method: 'POST', headers, body })).text();
  return !text.includes('-32081');
}

function writeCliConfig(adminPort: number, serverPort: number): void {
  cliConfig = join(keysDir, '..', `cli-${adminPort}.yaml`);
  writeFileSync(
    cliConfig,
    [
      `server: { host: 127.0.0.1, port: ${serverPort} }`,
      `admin: { host: 127.0.0.1, port: ${adminPort}, tokens: { keeper: "${TOKEN}" } }`,
      `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)}, rotation_grace_s: 3600 }`,
      'default_policy: allow',
      `storage: { sqlite: ${JSON.stringify(gw.dbPath)} }`,
    ].join('\n'),
  );
}

beforeAll(async () => {
  keysDir = join(mkdtempSync(join(tmpdir(), 'portcullis-keys-e2e-')), 'keys');
  for (const agent of ['alice', 'dora']) {
    const written = await writeKeyPair(keysDir, agent);
    if (!written.ok) throw new Error(written.problem);
  }
  gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: [
      `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)}, rotation_grace_s: 3600 }`,
      `admin: { host: 127.0.0.1, port: 0, tokens: { keeper: "${TOKEN}" } }`,
    ].join('\n'),
  });
  writeCliConfig(Number(new URL(gw.gateway.adminUrl as string).port), Number(new URL(gw.url).port));
});

afterAll(async () => {
  await gw?.stop();
  rmSync(join(keysDir, '..'), { recursive: true, force: true });
});

describe('keys through the running gateway', () => {
  let oldKey: string;
  let newKey: string;

  it('rotate issues a new key and the old one keeps working during the grace period', async () => {
    oldKey = readFileSync(join(keysDir, 'alice.key'), 'utf8');
    expect(await accepted('alice', oldKey)).toBe(true);
    const rotated = await cli('keys', 'rotate', '--agent', 'alice', '--json');
    expect(rotated.code).toBe(0);
    newKey = readFileSync(join(keysDir, 'alice.key'), 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect(statSync(join(keysDir, 'alice.key')).mode & 0o777).toBe(0o600);
    expect(await accepted('alice', newKey)).toBe(true);
    expect(await accepted('alice', oldKey)).toBe(true);
  });

  it('list shows the current and the previous key', async () => {
    const listed = await cli('keys', 'list', '--agent', 'alice', '--json');
    const view = JSON.parse(listed.out.trim()) as { current: string; previous: { fingerprint: string } | null; revoked: string[] };
    expect(view.previous?.fingerprint).toBeTruthy();
    expect(view.previous?.fingerprint).not.toBe(view.current);
    expect(view.revoked).toEqual([]);
  });

  it('revoking the previous key refuses it from the next request on; the new key still works', async () => {
    const view = JSON.parse((await cli('keys', 'list', '--agent', 'alice', '--json')).out.trim()) as { previous: { fingerprint: string } };
    expect((await cli('keys', 'revoke', '--agent', 'alice', '--fingerprint', view.previous.fingerprint)).code).toBe(0);
    expect(await accepted('alice', oldKey)).toBe(false);
    expect(await accepted('alice', newKey)).toBe(true);
  });

  it('revoking the current key refuses it too', async () => {
    expect((await cli('keys', 'revoke', '--agent', 'alice')).code).toBe(0);
    expect(await accepted('alice', newKey)).toBe(false);
    expect(await accepted('dora', readFileSync(join(keysDir, 'dora.key'), 'utf8'))).toBe(true);
  });

  it('records every key change with the reviewer', async () => {
    const rows = (await readAudit(gw.dbPath, { decision: 'event' })).filter((r) => r.agent === 'alice');
    expect(rows.map((r) => r.method)).toEqual(['key.rotated', 'key.revoked', 'key.revoked']);
    expect(rows[0]?.detail).toMatch(/^by keeper: /);
  });

  it('usage errors: rotate without --agent, a bad fingerprint, an unknown action', async () => {
    expect((await cli('keys', 'rotate')).code).toBe(2);
    expect((await cli('keys', 'revoke', '--agent', 'dora', '--fingerprint', 'nope')).code).toBe(1);
    expect((await cli('keys', 'shred', '--agent', 'dora')).code).toBe(2);
  });
});

describe('keys with no gateway running', () => {
  it('rotate changes the files and the stored state directly', async () => {
    writeCliConfig(await freePort(), await freePort());
    const before = readFileSync(join(keysDir, 'dora.key'), 'utf8');
    const rotated = await cli('keys', 'rotate', '--agent', 'dora');
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain('No gateway is running');
    expect(readFileSync(join(keysDir, 'dora.key'), 'utf8')).not.toBe(before);
  });
});
