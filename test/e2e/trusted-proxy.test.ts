/**
 * Behind a TLS terminator listed in `server.trusted_proxies`, a signature's @authority is the host the client
 * addressed (X-Forwarded-Host); from anyone else that header is ignored (DESIGN.md §4).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { signRequest } from '../../src/identity/signer.js';
import { everythingStdio } from '../helpers/backends.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const started: StartedGateway[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function gatewayTrusting(proxies: string[]): Promise<{ gw: StartedGateway; key: string }> {
  const keysDir = mkdtempSync(join(tmpdir(), 'portcullis-proxy-keys-'));
  dirs.push(keysDir);
  const written = await writeKeyPair(keysDir, 'edge-bot');
  if (!written.ok) throw new Error(written.problem);
  const gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: [
      `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} }`,
      `server: { host: 127.0.0.1, port: 0, trusted_proxies: ${JSON.stringify(proxies)} }`,
    ].join('\n'),
  });
  started.push(gw);
  return { gw, key: readFileSync(join(keysDir, 'edge-bot.key'), 'utf8') };
}

/** Signs for the public URL the client used, sends to the gateway's real address with X-Forwarded-Host. */
async function viaProxy(gw: StartedGateway, key: string): Promise<string> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'p', version: '1' } } });
  const signed = signRequest({ agent: 'edge-bot', privateKey: key, method: 'POST', url: 'https://mcp.example.com/mcp', body });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-forwarded-host': 'mcp.example.com', ...signed };
  return (await fetch(gw.url, { method: 'POST', headers, body })).text();
}

describe('signatures behind a trusted proxy', () => {
  it('verify against the host the client addressed', async () => {
    const { gw, key } = await gatewayTrusting(['127.0.0.1']);
    expect(await viaProxy(gw, key)).toContain('"protocolVersion"');
  });

  it('ignore X-Forwarded-Host from an untrusted peer', async () => {
    const { gw, key } = await gatewayTrusting([]);
    expect(await viaProxy(gw, key)).toMatch(/-32081/);
  });
});
