/**
 * Verifies an RFC 9421 Ed25519 request signature (DESIGN.md §4) with node:crypto and cached key objects.
 * Threat: forged, tampered, stale or replayed requests and retired keys; how it fails: `{ok:false, reason}`, where the
 * reason is audit-log detail only — the caller answers every failure with the same `bad_signature`.
 */
import { verify as verifyEd25519 } from 'node:crypto';
import type { Parameters } from 'structured-headers';
import { verifyContentDigest } from './content-digest.js';
import { keyStatus, MAX_KEYS_PER_AGENT, type AgentKeys, type KeyLookup } from './key-state.js';
import type { PublicKeyInfo } from './keys.js';
import type { NonceCache } from './nonce-cache.js';
import {
  buildSignatureBase,
  lowerCaseHeaders,
  needsContentDigest,
  parseSignatureHeaders,
  readSignatureEntry,
  REQUIRED_COMPONENTS,
  type MessageComponents,
  type SignatureCandidate,
  type SignatureEntry,
} from './signature-base.js';

/** The request as the gateway received it. `body` must be the exact bytes read off the wire. */
export interface SignedRequest {
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  /** `URL.search`: `''` or `?…`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

export interface VerifyContext {
  readonly keys: KeyLookup;
  /** Current time, ms since the epoch. */
  readonly now: number;
  /** When the gateway started, ms since the epoch: signatures created earlier are refused. */
  readonly startedAt: number;
  readonly maxClockSkewS: number;
  readonly nonces: NonceCache;
}

export type VerifyResult =
  | { readonly ok: true; readonly agent: string; readonly keyFingerprint: string }
  | { readonly ok: false; readonly reason: string };

/** Parameters RFC 9421 §2.3 defines; anything else is refused rather than silently signed over. */
const KNOWN_PARAMS = new Set(['created', 'expires', 'nonce', 'alg', 'keyid', 'tag']);
/** Nonce length bounds: long enough not to collide by accident, short enough to bound the cache's memory. */
const NONCE_LENGTH = { min: 8, max: 128 } as const;

interface CheckedParams {
  readonly keyid: string;
  readonly created: number;
  readonly nonce: string;
  readonly expires: number | undefined;
}

type Step<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Verifies a signed request; on success names the agent and the fingerprint of the key that signed. */
export function verifyRequest(request: SignedRequest, ctx: VerifyContext): VerifyResult {
  const headers = lowerCaseHeaders(request.headers);
  const chosen = chooseSignature(headers, ctx.keys);
  if (!chosen.ok) return chosen;
  const { entry, agentKeys } = chosen.value;
  const params = checkParams(entry.params);
  if (!params.ok) return params;
  const message: MessageComponents = { ...request, headers };
  // Cheapest first; hashing the body comes last of the checks that need no key.
  const checks = [
    () => (entry.signature.length === 64 ? undefined : `signature is ${entry.signature.length} bytes, expected 64`),
    () => checkCoverage(entry.components, request),
    () => checkTime(params.value, ctx),
    () => checkDigest(headers, entry.components, request.body),
  ];
  for (const check of checks) {
    const reason = check();
    if (reason !== undefined) return { ok: false, reason };
  }
  const base = buildSignatureBase(entry.components, message, entry.paramsValue);
  if (!base.ok) return base;
  const key = findSigningKey(agentKeys.keys, base.value, entry.signature);
  if (!key) return { ok: false, reason: `signature does not verify under any key of ${params.value.keyid}` };
  const status = keyStatus(agentKeys.state, key.fingerprint, ctx.now);
  if (!status.usable) return { ok: false, reason: `${status.reason} (${key.fingerprint})` };
  // Remembered only now, after the signature verified, so forged requests cannot fill the cache or burn nonces.
  const nonce = ctx.nonces.remember(`${params.value.keyid}\n${params.value.nonce}`, ctx.now, nonceTtlMs(ctx));
  if (nonce === 'replayed') return { ok: false, reason: 'nonce replayed' };
  if (nonce === 'full') return { ok: false, reason: 'nonce cache full: refusing rather than forgetting nonces' };
  return { ok: true, agent: params.value.keyid, keyFingerprint: key.fingerprint };
}

/** Picks the first label whose keyid names a known agent (one verified label is enough). */
function chooseSignature(
  headers: ReadonlyMap<string, string>,
  keys: KeyLookup,
): Step<{ entry: SignatureEntry; agentKeys: AgentKeys }> {
  const input = headers.get('signature-input');
  const signature = headers.get('signature');
  if (input === undefined || signature === undefined) {
    return { ok: false, reason: 'unsigned request: Signature-Input or Signature header missing' };
  }
  const parsed = parseSignatureHeaders(input, signature);
  if (!parsed.ok) return parsed;
  const known = findKnownCandidate(parsed.value, keys);
  if (!known) return { ok: false, reason: `keyid unknown: ${describeKeyids(parsed.value)}` };
  const entry = readSignatureEntry(known.candidate);
  return entry.ok ? { ok: true, value: { entry: entry.value, agentKeys: known.agentKeys } } : entry;
}

function findKnownCandidate(candidates: readonly SignatureCandidate[], keys: KeyLookup) {
  for (const candidate of candidates) {
    const agentKeys = candidate.keyid === undefined ? undefined : keys.lookup(candidate.keyid);
    if (agentKeys && agentKeys.keys.length > 0) return { candidate, agentKeys };
  }
  return undefined;
}

function describeKeyids(candidates: readonly SignatureCandidate[]): string {
  const keyids = candidates.map((c) => (c.keyid === undefined ? `${c.label}: no keyid` : JSON.stringify(c.keyid)));
  return keyids.join(', ').slice(0, 200); // attacker-chosen text: bounded before it reaches the audit log
}

function checkParams(params: Parameters): Step<CheckedParams> {
  for (const name of params.keys()) {
    if (!KNOWN_PARAMS.has(name)) return { ok: false, reason: `unknown signature parameter ${JSON.stringify(name)}` };
  }
  const alg = params.get('alg');
  if (alg === undefined) return { ok: false, reason: 'missing alg parameter' };
  if (alg !== 'ed25519') return { ok: false, reason: `unsupported alg ${JSON.stringify(String(alg))}` };
  const keyid = params.get('keyid');
  const created = params.get('created');
  const nonce = params.get('nonce');
  const expires = params.get('expires');
  if (typeof keyid !== 'string') return { ok: false, reason: 'missing keyid parameter' };
  if (!isInteger(created)) return { ok: false, reason: 'missing or non-integer created parameter' };
  if (typeof nonce !== 'string') return { ok: false, reason: 'missing nonce parameter' };
  if (nonce.length < NONCE_LENGTH.min || nonce.length > NONCE_LENGTH.max) {
    return { ok: false, reason: `nonce length outside ${NONCE_LENGTH.min}..${NONCE_LENGTH.max}` };
  }
  if (expires !== undefined && !isInteger(expires)) return { ok: false, reason: 'non-integer expires parameter' };
  return { ok: true, value: { keyid, created, nonce, expires } };
}

function checkCoverage(components: readonly string[], request: SignedRequest): string | undefined {
  const bodyLength = typeof request.body === 'string' ? request.body.length : request.body.byteLength;
  const required = REQUIRED_COMPONENTS.filter(
    (name) => name !== 'content-digest' || needsContentDigest(request.method, bodyLength),
  );
  const missing = required.filter((name) => !components.includes(name));
  return missing.length > 0 ? `covered components missing ${missing.join(' ')}` : undefined;
}

function checkTime(params: CheckedParams, ctx: VerifyContext): string | undefined {
  const nowS = ctx.now / 1000;
  if (params.created > nowS + ctx.maxClockSkewS) return 'created is in the future beyond the allowed clock skew';
  if (params.created < nowS - ctx.maxClockSkewS) return 'created is too old (outside the allowed clock skew)';
  // `created` has whole seconds, so compare with the start's second: a request signed later in that second is fine.
  if (params.created < Math.floor(ctx.startedAt / 1000)) return 'created before the gateway started';
  if (params.expires !== undefined && params.expires < nowS) return 'signature expired';
  return undefined;
}

/** The header is checked whenever present; when a signature covers it, it is present (or the base fails). */
function checkDigest(
  headers: ReadonlyMap<string, string>,
  components: readonly string[],
  body: Uint8Array | string,
): string | undefined {
  const header = headers.get('content-digest');
  if (header === undefined) return components.includes('content-digest') ? 'Content-Digest header missing' : undefined;
  const check = verifyContentDigest(header, body);
  return check.ok ? undefined : check.reason;
}

function findSigningKey(
  keys: readonly PublicKeyInfo[],
  base: string,
  signature: Uint8Array,
): PublicKeyInfo | undefined {
  const data = Buffer.from(base, 'utf8');
  return keys.slice(0, MAX_KEYS_PER_AGENT).find((key) => verifyEd25519(null, data, key.keyObject, signature));
}

/** A nonce must outlive every request that could still pass the `created` window: 2 × max_clock_skew_s. */
function nonceTtlMs(ctx: VerifyContext): number {
  return 2 * ctx.maxClockSkewS * 1000;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
