/**
 * Request signatures end to end (DESIGN.md §4): the real SDK client signing through createSigningFetch against a
 * gateway with `identity.require_signature: true`. Allowed calls pass; unsigned, tampered, replayed, stale,
 * unknown-key and session-stealing requests get the one `bad_signature` answer; key files are picked up live;
 * signature headers never reach a backend.
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { createSigningFetch, signRequest } from '../../src/identity/signer.js';
import { readAudit } from '../helpers/audit.js';
import { everythingStdio } from '../helpers/backends.js';
import { type StartedGateway, startGateway, waitUntil } from '../helpers/start-gateway.js';

let keysDir: string;
let gw: StartedGateway;
const clients: Client[] = [];
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function signedClient(agent: string, keyFile = join(keysDir, `${agent}.key`)): Promise<Client> {
  const client = new Client({ name: `signed-${agent}`, version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(gw.url), {
    fetch: createSigningFetch({ agent, privateKey: readFileSync(keyFile, 'utf8') }),
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function initializeBody(): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
}

/** A raw signed POST; `mutate` may change what is sent after signing. */
async function rawSigned(
  agent: string,
  body: string,
  options: { now?: number; nonce?: string; mutate?: (h: Record<string, string>, b: string) => [Record<string, string>, string] } = {},
): Promise<{ status: number; text: string }> {
  const signed = signRequest({
    agent,
    privateKey: readFileSync(join(keysDir, `${agent}.key`), 'utf8'),
    method: 'POST',
    url: gw.url,
    body,
    now: options.now,
    nonce: options.nonce,
  });
  const lower = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
  let headers: Record<string, string> = { ...MCP_HEADERS, ...lower };
  let sent = body;
  if (options.mutate) [headers, sent] = options.mutate(headers, body);
  const response = await fetch(gw.url, { method: 'POST', headers, body: sent });
  return { status: response.status, text: await response.text() };
}

const BAD_SIGNATURE = /"code":-32081.*"reason":"bad_signature"/;

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'));
  for (const agent of ['alice', 'bob']) {
    const written = await writeKeyPair(keysDir, agent);
    if (!written.ok) throw new Error(written.problem);
  }
  gw = await startGateway({
    backends: { everything: everythingStdio() },
    yaml: `identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} }`,
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await gw?.stop();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('signed requests', () => {
  it('a client signing with createSigningFetch lists and calls tools, recorded as verified', async () => {
    const alice = await signedClient('alice');
    expect((await alice.listTools()).tools.length).toBeGreaterThan(0);
    await alice.callTool({ name: 'everything__echo', arguments: { message: 'signed' } });
    const rows = await readAudit(gw.dbPath, { agent: 'alice' });
    expect(rows.find((r) => r.method === 'tools/call')).toMatchObject({ verified: true, decision: 'allow' });
  });

  it('an unsigned request is refused', async () => {
    const response = await fetch(gw.url, { method: 'POST', headers: MCP_HEADERS, body: initializeBody() });
    expect(await response.text()).toMatch(BAD_SIGNATURE);
  });

  it.each([
    ['a tampered body', (h: Record<string, string>, b: string): [Record<string, string>, string] => [h, b.replace('raw', 'evil')]],
    ['a digest of another body', (h: Record<string, string>, b: string): [Record<string, string>, string] => [
      { ...h, 'content-digest': 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:' },
      b,
    ]],
    ['a changed keyid', (h: Record<string, string>, b: string): [Record<string, string>, string] => {
      const input = String(h['signature-input']);
      if (!input.includes('keyid="alice"')) throw new Error(`unexpected Signature-Input: ${input}`);
      return [{ ...h, 'signature-input': input.replace('keyid="alice"', 'keyid="bob"') }, b];
    }],
    ['a malformed Signature-Input', (h: Record<string, string>, b: string): [Record<string, string>, string] => [
      { ...h, 'signature-input': 'sig1=(((' },
      b,
    ]],
  ])('%s is refused with the same answer', async (_name, mutate) => {
    expect((await rawSigned('alice', initializeBody(), { mutate })).text).toMatch(BAD_SIGNATURE);
  });

  it('a replayed nonce is refused', async () => {
    const nonce = 'replayed-nonce-0001';
    expect((await rawSigned('alice', initializeBody(), { nonce })).text).not.toMatch(BAD_SIGNATURE);
    expect((await rawSigned('alice', initializeBody(), { nonce })).text).toMatch(BAD_SIGNATURE);
  });

  it.each([
    ['too old', -10 * 60_000],
    ['from the future', 10 * 60_000],
  ])('a created time %s is refused', async (_name, offset) => {
    expect((await rawSigned('alice', initializeBody(), { now: Date.now() + offset })).text).toMatch(BAD_SIGNATURE);
  });

  it('a request signed by another agent on alice’s session is refused', async () => {
    const alice = await signedClient('alice');
    const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId as string;
    const call = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} });
    const stolen = await rawSigned('bob', call, {
      mutate: (h, b) => [{ ...h, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }, b],
    });
    expect(stolen.text).toMatch(BAD_SIGNATURE);
  });

  it('an unsigned GET or DELETE on a signed session is refused with 401', async () => {
    const alice = await signedClient('alice');
    const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId as string;
    const response = await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: -32081, data: { reason: 'bad_signature' } } });
    await alice.callTool({ name: 'everything__echo', arguments: { message: 'still open' } });
  });

  it('a key removed from disk stops working without a restart; an unknown agent is refused', async () => {
    const bob = await signedClient('bob');
    await bob.callTool({ name: 'everything__echo', arguments: { message: 'before' } });
    const bobKey = join(keysDir, 'bob.key');
    const saved = readFileSync(bobKey, 'utf8');
    unlinkSync(join(keysDir, 'bob.pub'));
    await waitUntil(
      async () => (await rawSigned('alice', initializeBody())).status === 200 && !(await bobWorks(saved)),
      10_000,
      'the key directory to reload',
    );
    await expect(bob.callTool({ name: 'everything__echo', arguments: { message: 'after' } })).rejects.toMatchObject({ code: -32081 });
  });
});

async function bobWorks(privateKey: string): Promise<boolean> {
  const signed = signRequest({ agent: 'bob', privateKey, method: 'POST', url: gw.url, body: initializeBody() });
  const response = await fetch(gw.url, { method: 'POST', headers: { ...MCP_HEADERS, ...signed }, body: initializeBody() });
  return !BAD_SIGNATURE.test(await response.text());
}

describe('portcullis keygen', () => {
  it('writes a key pair the gateway accepts, with the private key at mode 0600, and refuses to overwrite', async () => {
    const { runCommand } = await import('../../src/main.js');
    const { statSync } = await import('node:fs');
    let out = '';
    const io = { out: (t: string) => void (out += t), err: () => undefined, env: {} };
    expect(await runCommand(['keygen', '--agent', 'carol', '--out', keysDir], io)).toBe(0);
    expect(out).toContain('carol.key');
    expect(statSync(join(keysDir, 'carol.key')).mode & 0o777).toBe(0o600);
    expect(await runCommand(['keygen', '--agent', 'carol', '--out', keysDir], io)).toBe(1);
    expect(await runCommand(['keygen', '--out', keysDir], io)).toBe(2);
    await waitUntil(async () => !BAD_SIGNATURE.test((await rawSigned('carol', initializeBody())).text), 10_000, 'carol.pub to load');
  });
});
