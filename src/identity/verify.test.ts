import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createContentDigest } from './content-digest.js';
import { generateKeyPair } from './key-files.js';
import { createKeyLookup, type KeyState } from './key-state.js';
import { parsePublicKeyPem, type PublicKeyInfo } from './keys.js';
import { createNonceCache, type NonceCache } from './nonce-cache.js';
import {
  buildSignatureBase,
  lowerCaseHeaders,
  serializeSignatureHeaders,
  serializeSignatureParams,
} from './signature-base.js';
import { signRequest, type SignRequestOptions } from './signer.js';
import { verifyRequest, type SignedRequest, type VerifyContext } from './verify.js';

const NOW = 1_800_000_000_000;
const SKEW_S = 60;
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"files__read"}}';
const URL_ = 'https://gateway.example:8443/mcp?session=1';

function loadPair() {
  const pair = generateKeyPair();
  const pub = parsePublicKeyPem(pair.publicKeyPem, 'test');
  if (!pub.ok) throw new Error(pub.problem);
  return { privateKeyPem: pair.privateKeyPem, key: pub.key };
}
const alice = loadPair();
const aliceNext = loadPair();
const bob = loadPair();

function lookup(aliceState: Partial<KeyState> = {}, aliceKeys: PublicKeyInfo[] = [alice.key]) {
  return createKeyLookup([
    { state: { agent: 'alice', current: alice.key.fingerprint, revoked: [], ...aliceState }, keys: aliceKeys },
    { state: { agent: 'bob', current: bob.key.fingerprint, revoked: [] }, keys: [bob.key] },
  ]);
}

function context(over: Partial<VerifyContext> = {}): VerifyContext {
  return {
    keys: lookup(),
    now: NOW,
    startedAt: NOW - 3_600_000,
    maxClockSkewS: SKEW_S,
    nonces: createNonceCache(),
    ...over,
  };
}

function signed(over: Partial<SignRequestOptions> = {}, request: Partial<SignedRequest> = {}): SignedRequest {
  const options = { agent: 'alice', privateKey: alice.privateKeyPem, method: 'POST', url: URL_, body: BODY, now: NOW };
  const headers = signRequest({ ...options, ...over });
  return {
    method: 'POST',
    authority: 'gateway.example:8443',
    path: '/mcp',
    query: '?session=1',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    ...request,
  };
}

/** Signs with arbitrary components and parameters, to build requests our signer would never make. */
function signedCustom(
  components: string[],
  params: Map<string, string | number>,
  request: SignedRequest,
): SignedRequest {
  const headers = lowerCaseHeaders(request.headers);
  const base = buildSignatureBase(components, { ...request, headers }, serializeSignatureParams(components, params));
  if (!base.ok) throw new Error(base.reason);
  const signature = nodeSign(null, Buffer.from(base.value), createPrivateKey(alice.privateKeyPem));
  const encoded = serializeSignatureHeaders('sig1', components, params, signature);
  return {
    ...request,
    headers: { ...request.headers, 'Signature-Input': encoded.signatureInput, Signature: encoded.signature },
  };
}

const goodParams = () =>
  new Map<string, string | number>([
    ['created', NOW / 1000],
    ['keyid', 'alice'],
    ['nonce', 'nonce-0123456789'],
    ['alg', 'ed25519'],
  ]);

/** Replaces text inside the Signature-Input header. */
function editInput(request: SignedRequest, from: RegExp, to: string): SignedRequest {
  const input = request.headers['Signature-Input'] ?? '';
  return { ...request, headers: { ...request.headers, 'Signature-Input': input.replace(from, to) } };
}

describe('verifyRequest accepts', () => {
  it('a POST signed by our signer, naming the agent and key', () => {
    expect(verifyRequest(signed(), context())).toEqual({
      ok: true,
      agent: 'alice',
      keyFingerprint: alice.key.fingerprint,
    });
  });

  it('a bodiless GET without content-digest', () => {
    const request = signed({ method: 'GET', body: undefined }, { method: 'GET', body: new Uint8Array() });
    expect(request.headers['Content-Digest']).toBeUndefined();
    expect(verifyRequest(request, context())).toMatchObject({ ok: true });
  });

  it('header names in any case', () => {
    const request = signed();
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyRequest({ ...request, headers }, context())).toMatchObject({ ok: true });
  });

  it('the first label whose keyid is known, skipping others', () => {
    const request = signed();
    const headers = {
      ...request.headers,
      'Signature-Input': `other=("@method");keyid="stranger", ${request.headers['Signature-Input']}`,
      Signature: `other=:AAAA:, ${request.headers['Signature']}`,
    };
    expect(verifyRequest({ ...request, headers }, context())).toMatchObject({ ok: true, agent: 'alice' });
  });

  it('the previous key within its rotation grace', () => {
    const keys = lookup(
      { current: aliceNext.key.fingerprint, previous: { fingerprint: alice.key.fingerprint, validUntil: NOW + 1 } },
      [aliceNext.key, alice.key],
    );
    expect(verifyRequest(signed(), context({ keys }))).toEqual({
      ok: true,
      agent: 'alice',
      keyFingerprint: alice.key.fingerprint,
    });
  });
});

describe('verifyRequest refuses', () => {
  const rotatedPastGrace = lookup(
    { current: aliceNext.key.fingerprint, previous: { fingerprint: alice.key.fingerprint, validUntil: NOW - 1 } },
    [aliceNext.key, alice.key],
  );
  const fullCache = (): NonceCache => {
    const nonces = createNonceCache({ maxEntries: 1 });
    nonces.remember('someone\nelse', NOW, 120_000);
    return nonces;
  };
  const unsigned = signed();
  const post = { ...unsigned, headers: { 'content-type': 'application/json' } };

  it.each<[string, () => [SignedRequest, VerifyContext], RegExp]>([
    ['an unsigned request', () => [post, context()], /^unsigned request/],
    [
      'a malformed Signature-Input',
      () => [editInput(signed(), /\)/, ''), context()],
      /Signature-Input is not a structured/,
    ],
    ['a missing created', () => [editInput(signed(), /;created=\d+/, ''), context()], /missing or non-integer created/],
    ['a missing nonce', () => [editInput(signed(), /;nonce="[^"]*"/, ''), context()], /missing nonce/],
    ['a missing alg', () => [editInput(signed(), /;alg="ed25519"/, ''), context()], /missing alg/],
    ['a missing keyid', () => [editInput(signed(), /;keyid="alice"/, ''), context()], /keyid unknown: sig1: no keyid/],
    [
      'an unknown alg',
      () => [editInput(signed(), /ed25519/, 'rsa-pss-sha512'), context()],
      /unsupported alg "rsa-pss-sha512"/,
    ],
    [
      'an unknown parameter',
      () => [editInput(signed(), /;alg/, ';color="red";alg'), context()],
      /unknown signature parameter "color"/,
    ],
    ['a short nonce', () => [signed({ nonce: 'abc' }), context()], /nonce length/],
    ['a keyid unknown', () => [signed({ agent: 'mallory' }), context()], /keyid unknown: "mallory"/],
    ['a revoked key', () => [signed(), context({ keys: lookup({ revoked: [alice.key.fingerprint] }) })], /key revoked/],
    [
      'the previous key after its grace',
      () => [signed(), context({ keys: rotatedPastGrace })],
      /past its rotation grace/,
    ],
    [
      'a key neither current nor previous',
      () => [signed(), context({ keys: lookup({ current: 'x' }) })],
      /neither the current/,
    ],
    ['another agent signing as alice', () => [signed({ privateKey: bob.privateKeyPem }), context()], /does not verify/],
    [
      'the digest of another body',
      () => [withHeader(signed(), 'Content-Digest', createContentDigest('{}')), context()],
      /does not match the body/,
    ],
    [
      'a body changed after signing',
      () => [signed({}, { body: BODY.replace('read', 'delete') }), context()],
      /does not match the body/,
    ],
    ['body and digest both changed', () => [changedBodyAndDigest(), context()], /signature does not verify/],
    ['@method changed', () => [signed({}, { method: 'PUT' }), context()], /signature does not verify/],
    ['@path changed', () => [signed({}, { path: '/admin' }), context()], /signature does not verify/],
    ['@authority changed', () => [signed({}, { authority: 'evil.example' }), context()], /signature does not verify/],
    ['@query changed', () => [signed({}, { query: '?session=2' }), context()], /signature does not verify/],
    ['created too old', () => [signed({ now: NOW - (SKEW_S + 1) * 1000 }), context()], /too old/],
    [
      'created in the future beyond skew',
      () => [signed({ now: NOW + (SKEW_S + 1) * 1000 }), context()],
      /in the future/,
    ],
    [
      'created before the gateway started',
      () => [signed({ now: NOW - 5_000 }), context({ startedAt: NOW })],
      /before the gateway started/,
    ],
    ['a full nonce cache', () => [signed(), context({ nonces: fullCache() })], /nonce cache full/],
    [
      'a POST not covering content-digest',
      () => [signedCustom(['@method', '@authority', '@path', '@query'], goodParams(), post), context()],
      /covered components missing content-digest/,
    ],
    [
      'a GET with a body not covering content-digest',
      () => [
        signedCustom(['@method', '@authority', '@path', '@query'], goodParams(), { ...post, method: 'GET' }),
        context(),
      ],
      /missing content-digest/,
    ],
    [
      'missing @authority and @query',
      () => [
        signedCustom(
          ['@method', '@path', 'content-digest'],
          goodParams(),
          withHeader(post, 'Content-Digest', createContentDigest(BODY)),
        ),
        context(),
      ],
      /missing @authority @query/,
    ],
    [
      'an expired signature',
      () => [
        signedCustom(
          ['@method', '@authority', '@path', '@query'],
          new Map([...goodParams(), ['expires', NOW / 1000 - 1]]),
          { ...post, method: 'GET', body: '' },
        ),
        context(),
      ],
      /signature expired/,
    ],
    [
      'a signature of the wrong length',
      () => [withHeader(signed(), 'Signature', 'sig1=:AAAA:'), context()],
      /3 bytes, expected 64/,
    ],
  ])('%s', (_name, make, reason) => {
    const [request, ctx] = make();
    const result = verifyRequest(request, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('a replayed nonce (the first use passes)', () => {
    const ctx = context();
    const request = signed({ nonce: 'same-nonce-1234' });
    expect(verifyRequest(request, ctx)).toMatchObject({ ok: true });
    expect(verifyRequest(request, { ...ctx, now: NOW + 1_000 })).toEqual({ ok: false, reason: 'nonce replayed' });
  });

  it('a replay at the far end of the freshness window (the nonce outlives every still-fresh request)', () => {
    const ctx = context();
    // Created at the future edge of the skew, first seen at NOW: still fresh until NOW + 2 × skew.
    const request = signed({ nonce: 'edge-nonce-1234', now: NOW + SKEW_S * 1000 });
    expect(verifyRequest(request, ctx)).toMatchObject({ ok: true });
    const replayAt = NOW + 2 * SKEW_S * 1000 - 1;
    expect(verifyRequest(request, { ...ctx, now: replayAt })).toEqual({ ok: false, reason: 'nonce replayed' });
  });

  it('without burning the nonce when the signature is bad', () => {
    const ctx = context();
    const forged = signed({ nonce: 'victims-nonce-1', privateKey: bob.privateKeyPem });
    expect(verifyRequest(forged, ctx)).toMatchObject({ ok: false });
    expect(verifyRequest(signed({ nonce: 'victims-nonce-1' }), ctx)).toMatchObject({ ok: true });
    expect(ctx.nonces.size).toBe(1);
  });
});

function withHeader(request: SignedRequest, name: string, value: string): SignedRequest {
  return { ...request, headers: { ...request.headers, [name]: value } };
}

function changedBodyAndDigest(): SignedRequest {
  const body = BODY.replace('read', 'delete');
  return withHeader(signed({}, { body }), 'Content-Digest', createContentDigest(body));
}
