/**
 * Hostile key files (DESIGN.md §4, §5): a small-order key (under which Node 20 would accept forged signatures), a
 * non-canonical key, an RSA key and a file that is not a key, dropped into keys/, are refused and reported; the
 * good keys beside them keep working and the gateway keeps serving.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { createContentDigest } from '../../src/identity/content-digest.js';
import { signRequest } from '../../src/identity/signer.js';
import { readAudit } from '../helpers/audit.js';
import { REPO_ROOT, everythingStdio } from '../helpers/backends.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const FIXTURES = join(REPO_ROOT, 'src/identity/fixtures');
let keysDir: string;
let gw: StartedGateway;

async function initializeAs(agent: string, privateKey: string): Promise<string> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'k', version: '1' } } });
  const signed = signRequest({ agent, privateKey, method: 'POST', url: gw.url, body });
  const response = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...signed }, body });
  return response.text();
}

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'portcullis-hostile-keys-'));
  const written = await writeKeyPair(keysDir, 'good');
  if (!written.ok) throw new Error(written.problem);
  for (const [fixture, agent] of [['small-order.pub', 'tiny'], ['non-canonical.pub', 'odd'], ['rsa.pub', 'rsa'], ['not-a-key.pub', 'junk']]) {
    copyFileSync(join(FIXTURES, fixture as string), join(keysDir, `${agent}.pub`));
  }
  gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} }`,
  });
});

afterAll(async () => {
  await gw?.stop();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('hostile key files', () => {
  it('the good key beside them works', async () => {
    expect(await initializeAs('good', readFileSync(join(keysDir, 'good.key'), 'utf8'))).toContain('"protocolVersion"');
  });

  it('every bad file is refused and reported, naming the file', async () => {
    const loaded = (await readAudit(gw.dbPath, { decision: 'event' })).find((row) => row.method === 'keys.loaded');
    expect(loaded?.detail).toMatch(/^1 agent key\(s\)/);
    for (const agent of ['tiny', 'odd', 'rsa', 'junk']) expect(loaded?.detail).toContain(`${agent}.pub`);
  });

  it('a forged signature under the small-order key is refused (Node alone would accept it)', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'forger', version: '1' } } });
    // R = identity point, S = 0: valid for any message under a small-order public key.
    const forged = Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]).toString('base64');
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-digest': createContentDigest(body),
      'signature-input': `sig1=("@method" "@authority" "@path" "@query" "content-digest");created=${Math.floor(Date.now() / 1000)};nonce="forged-nonce-01";keyid="tiny";alg="ed25519"`,
      signature: `sig1=:${forged}:`,
    };
    const text = await (await fetch(gw.url, { method: 'POST', headers, body })).text();
    expect(text).toMatch(/-32081/);
  });
});
