import { createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './key-files.js';
import { keyLookupFromDir } from './key-state.js';
import { parsePublicKeyPem } from './keys.js';
import { createNonceCache } from './nonce-cache.js';
import { createSigningFetch, signRequest, type FetchLike } from './signer.js';
import { verifyRequest, type SignedRequest } from './verify.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const hex = (value: string) => new Uint8Array(Buffer.from(value, 'hex'));

// RFC 8032 §7.1 TEST 1–3: secret key, public key, message, signature.
const RFC8032 = [
  [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
] as const;

describe('RFC 8032 §7.1 vectors', () => {
  it.each(RFC8032.map((v, i) => [i + 1, ...v] as const))('TEST %i: noble signs it, node:crypto verifies it', (...v) => {
    const [, secret, publicKey, message, signature] = v;
    ed.hashes.sha512 ??= sha512; // synchronous noble needs it (DESIGN.md §5); signer.ts sets it the same way
    expect(Buffer.from(ed.getPublicKey(hex(secret))).toString('hex')).toBe(publicKey);
    expect(Buffer.from(ed.sign(hex(message), hex(secret))).toString('hex')).toBe(signature);
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey, 'hex').toString('base64url') },
      format: 'jwk',
    });
    expect(verify(null, hex(message), key, hex(signature))).toBe(true);
  });
});

describe('signRequest', () => {
  const fixed = {
    agent: 'bot',
    method: 'POST',
    url: 'https://GW.example:443/mcp',
    body: '{}',
    now: 1_700_000_000_500,
    nonce: 'n-0123456789',
  };

  it('adds Content-Digest, Signature-Input and Signature with label sig1', async () => {
    const privateKey = await readFile(join(FIXTURES, 'rfc9421-test-key.key'), 'utf8');
    const headers = signRequest({ ...fixed, privateKey });
    expect(headers).toEqual({
      'Content-Digest': 'sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:',
      'Signature-Input':
        'sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1700000000;keyid="bot";nonce="n-0123456789";alg="ed25519"',
      Signature: expect.stringMatching(/^sig1=:[A-Za-z0-9+/]{86}==:$/),
    });
  });

  it('gives the same signature from the PEM and from the raw seed', async () => {
    const pem = await readFile(join(FIXTURES, 'rfc9421-test-key.key'), 'utf8');
    const seed = new Uint8Array(Buffer.from('n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU', 'base64url'));
    expect(signRequest({ ...fixed, privateKey: seed })).toEqual(signRequest({ ...fixed, privateKey: pem }));
  });

  it('adds no Content-Digest to a bodiless GET', () => {
    const headers = signRequest({ ...fixed, method: 'get', body: undefined, privateKey: new Uint8Array(32) });
    expect(Object.keys(headers)).toEqual(['Signature-Input', 'Signature']);
    expect(headers['Signature-Input']).toMatch(/^sig1=\("@method" "@authority" "@path" "@query"\);/);
  });

  it.each([
    ['a 31-byte seed', { privateKey: new Uint8Array(31) }, /31 bytes/],
    ['a public key PEM', { privateKey: generateKeyPair().publicKeyPem }, /expected "PRIVATE KEY"/],
    ['a bad agent name', { agent: '../x', privateKey: new Uint8Array(32) }, /invalid agent name/],
    [
      'a covered header that is absent',
      { cover: ['x-trace'], privateKey: new Uint8Array(32) },
      /x-trace is not in the request/,
    ],
  ])('throws on %s', (_name, over, message) => {
    expect(() => signRequest({ ...fixed, ...over })).toThrow(message);
  });
});

describe('createSigningFetch', () => {
  const pair = generateKeyPair();
  const pub = parsePublicKeyPem(pair.publicKeyPem, 'bot.pub');
  if (!pub.ok) throw new Error(pub.problem);
  const keys = keyLookupFromDir(new Map([['bot', pub.key]]));

  /** A fake fetch that verifies what it is given, as the gateway would. */
  function verifyingFetch(results: unknown[]): FetchLike {
    return async (url, init) => {
      const target = new URL(url);
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const body = init?.body == null ? new Uint8Array() : new Uint8Array(await new Response(init.body).arrayBuffer());
      const request: SignedRequest = {
        method: init?.method ?? 'GET',
        authority: target.host,
        path: target.pathname,
        query: target.search,
        headers,
        body,
      };
      const now = Date.now();
      results.push(
        verifyRequest(request, { keys, now, startedAt: now - 1000, maxClockSkewS: 60, nonces: createNonceCache() }),
      );
      return new Response('ok');
    };
  }

  it.each<[string, () => [string | URL | Request, RequestInit | undefined]]>([
    [
      'a string body',
      () => [
        'http://gw.test/mcp',
        { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
      ],
    ],
    [
      'a Uint8Array body',
      () => ['http://gw.test/mcp?x=1', { method: 'post', body: new TextEncoder().encode('{"b":2}') }],
    ],
    [
      'a URLSearchParams body',
      () => [new URL('http://gw.test:8080/form'), { method: 'POST', body: new URLSearchParams({ a: 'b' }) }],
    ],
    ['a Request object', () => [new Request('http://gw.test/mcp', { method: 'POST', body: '{"c":3}' }), undefined]],
    ['a GET', () => ['http://gw.test/mcp', undefined]],
    ['a DELETE', () => ['http://gw.test/mcp', { method: 'DELETE', headers: new Headers({ 'mcp-session-id': 's1' }) }]],
  ])('signs %s so the verifier accepts it', async (_name, make) => {
    const results: unknown[] = [];
    const signingFetch = createSigningFetch({
      agent: 'bot',
      privateKey: pair.privateKeyPem,
      fetch: verifyingFetch(results),
    });
    const [input, init] = make();
    expect(await (await signingFetch(input, init)).text()).toBe('ok');
    expect(results).toEqual([{ ok: true, agent: 'bot', keyFingerprint: pub.key.fingerprint }]);
  });

  it('leaves a Request object usable (its body is cloned, not consumed)', async () => {
    const request = new Request('http://gw.test/mcp', { method: 'POST', body: 'x' });
    await createSigningFetch({ agent: 'bot', privateKey: pair.privateKeyPem, fetch: verifyingFetch([]) })(request);
    expect(await request.text()).toBe('x');
  });

  it('throws at creation on a bad key, not at the first request', () => {
    expect(() => createSigningFetch({ agent: 'bot', privateKey: 'not a key' })).toThrow(/private key: not a PEM/);
  });

  it('fits the MCP SDK transport option `fetch` (FetchLike)', () => {
    const signingFetch = createSigningFetch({ agent: 'bot', privateKey: pair.privateKeyPem });
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:1/mcp'), { fetch: signingFetch });
    expect(transport).toBeInstanceOf(StreamableHTTPClientTransport);
  });

  it('is verified by a real HTTP server from what arrives on the wire', async () => {
    const results: unknown[] = [];
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const url = new URL(req.url ?? '/', 'http://placeholder');
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const request = {
          method: req.method ?? '',
          authority: req.headers.host ?? '',
          path: url.pathname,
          query: url.search,
          headers,
          body,
        };
        const now = Date.now();
        results.push(
          verifyRequest(request, { keys, now, startedAt: now - 1000, maxClockSkewS: 60, nonces: createNonceCache() }),
        );
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const signingFetch = createSigningFetch({ agent: 'bot', privateKey: pair.privateKeyPem });
      await (
        await signingFetch(`http://127.0.0.1:${port}/mcp/a%20b?q=1&r=%C3%A9`, { method: 'POST', body: 'é' })
      ).text();
      await (await signingFetch(`http://127.0.0.1:${port}/mcp?`)).text();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(results).toEqual([
      { ok: true, agent: 'bot', keyFingerprint: pub.key.fingerprint },
      { ok: true, agent: 'bot', keyFingerprint: pub.key.fingerprint },
    ]);
  });
});

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
