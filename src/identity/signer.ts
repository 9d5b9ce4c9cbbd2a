/**
 * Client-side RFC 9421 signer (DESIGN.md §4): signs requests to the gateway with @noble/ed25519.
 * `createSigningFetch` plugs into the MCP SDK's `StreamableHTTPClientTransport({ fetch })`; `portcullis connect`
 * wraps it. A bad private key is a configuration error and throws when the signer is created.
 */
import { randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { createContentDigest } from './content-digest.js';
import { isAgentName } from './key-files.js';
import { parsePrivateKeyPem } from './keys.js';
import {
  buildSignatureBase,
  lowerCaseHeaders,
  needsContentDigest,
  serializeSignatureHeaders,
  serializeSignatureParams,
  type MessageComponents,
} from './signature-base.js';

/** The label this signer uses; the verifier accepts any label. */
export const SIGNATURE_LABEL = 'sig1';

export interface SignRequestOptions {
  readonly agent: string;
  /** PKCS#8 PEM text, or the raw 32-byte RFC 8032 seed. */
  readonly privateKey: string | Uint8Array;
  readonly method: string;
  readonly url: string | URL;
  /** The request's headers; only needed for fields named in `cover`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra header fields to cover, beyond the five the gateway requires. */
  readonly cover?: readonly string[];
  readonly body?: Uint8Array | string;
  /** Signing time, ms since the epoch (default: now). */
  readonly now?: number;
  /** Default: 16 random bytes, base64url. */
  readonly nonce?: string;
}

/** The fetch shape of the MCP SDK (`FetchLike` in @modelcontextprotocol/sdk shared/transport). */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;
/** A fetch that also takes a `Request`, like the global one; assignable to `FetchLike`. */
export type SigningFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The methods fetch upper-cases (Fetch standard "normalize a method"); others are sent as written. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The headers to add to a request: `Content-Digest` (when it has a body), `Signature-Input`, `Signature`. */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  return signWithSeed(resolveSeed(options.privateKey), options);
}

/** A fetch that signs every request as `agent`; the body is read (and hashed) once before sending. */
export function createSigningFetch(options: {
  readonly agent: string;
  readonly privateKey: string | Uint8Array;
  readonly fetch?: FetchLike;
}): SigningFetch {
  const seed = resolveSeed(options.privateKey);
  checkAgent(options.agent);
  const baseFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  return async (input, init) => {
    // A Request built the way fetch would build it: method normalized, body (of any BodyInit kind) and its
    // content-type resolved, and the Request input's own body cloned rather than consumed.
    const request = new Request(input instanceof Request ? input.clone() : input, withDuplex(init));
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const headers = new Headers(request.headers);
    const added = signWithSeed(seed, {
      agent: options.agent,
      method: request.method,
      url: request.url,
      ...(body === undefined ? {} : { body }),
    });
    for (const [name, value] of Object.entries(added)) headers.set(name, value);
    // The exact bytes that were hashed are sent, so the digest cannot drift from a re-serialized body.
    return baseFetch(request.url, {
      ...init,
      method: request.method,
      headers,
      body: body ?? null,
      signal: request.signal,
      redirect: request.redirect,
    });
  };
}

function signWithSeed(seed: Uint8Array, options: Omit<SignRequestOptions, 'privateKey'>): Record<string, string> {
  checkAgent(options.agent);
  const url = new URL(options.url);
  const method = normalizeMethod(options.method);
  const body = options.body ?? new Uint8Array();
  const headers = lowerCaseHeaders(options.headers ?? {});
  const added: Record<string, string> = {};
  const components = ['@method', '@authority', '@path', '@query'];
  if (needsContentDigest(method, typeof body === 'string' ? body.length : body.byteLength)) {
    added['Content-Digest'] = createContentDigest(body);
    headers.set('content-digest', added['Content-Digest']);
    components.push('content-digest');
  }
  components.push(...(options.cover ?? []).map((name) => name.toLowerCase()));
  const params = new Map<string, string | number>([
    ['created', Math.floor((options.now ?? Date.now()) / 1000)],
    ['keyid', options.agent],
    ['nonce', options.nonce ?? randomBytes(16).toString('base64url')],
    ['alg', 'ed25519'],
  ]);
  // url.host omits a default port and lower-cases the host, as RFC 9421 §2.2.3 wants for @authority.
  const message: MessageComponents = { method, authority: url.host, path: url.pathname, query: url.search, headers };
  const base = buildSignatureBase(components, message, serializeSignatureParams(components, params));
  if (!base.ok) throw new Error(`cannot sign request: ${base.reason}`);
  const signature = sign(new TextEncoder().encode(base.value), seed);
  const encoded = serializeSignatureHeaders(SIGNATURE_LABEL, components, params, signature);
  return { ...added, 'Signature-Input': encoded.signatureInput, Signature: encoded.signature };
}

/** Synchronous Ed25519 signing needs a SHA-512; set on first use so importing this module has no side effect. */
function sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  ed.hashes.sha512 ??= sha512;
  return ed.sign(message, seed);
}

function resolveSeed(privateKey: string | Uint8Array): Uint8Array {
  if (typeof privateKey !== 'string') {
    if (privateKey.length !== 32) throw new Error(`private key seed is ${privateKey.length} bytes, expected 32`);
    return Uint8Array.from(privateKey);
  }
  const parsed = parsePrivateKeyPem(privateKey, 'private key');
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.key.seed;
}

function checkAgent(agent: string): void {
  if (!isAgentName(agent)) throw new Error(`invalid agent name ${JSON.stringify(agent)}`);
}

function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** Node's fetch needs `duplex: 'half'` to accept a stream body; it is harmless for any other body. */
function withDuplex(init: RequestInit | undefined): RequestInit | undefined {
  return init?.body == null ? init : ({ ...init, duplex: 'half' } as RequestInit);
}
