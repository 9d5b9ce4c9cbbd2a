/**
 * RFC 9530 `Content-Digest`: binds the request body to a signature that covers this header.
 * Threat: a signed request whose body is swapped in flight; how it fails: any mismatch, parse error or missing
 * supported algorithm is a value `{ok:false, reason}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isInnerList, parseDictionary, serializeDictionary } from 'structured-headers';

/** The algorithms accepted (RFC 9530 §5 "standard"); md5, sha, unixsum and unknown keys are ignored. */
const ALGORITHMS = { 'sha-256': 'sha256', 'sha-512': 'sha512' } as const;
export type DigestAlgorithm = keyof typeof ALGORITHMS;

/** A digest header longer than this is refused unread: two supported digests take under 150 characters. */
export const MAX_DIGEST_HEADER_LENGTH = 4096;

export type DigestCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The `Content-Digest` value for a body: `sha-256=:<base64>:`. Strings are hashed as UTF-8. */
export function createContentDigest(body: Uint8Array | string, algorithm: DigestAlgorithm = 'sha-256'): string {
  return serializeDictionary({ [algorithm]: digestOf(body, algorithm) });
}

/**
 * Checks a `Content-Digest` value against the body: at least one supported algorithm must be present and every
 * supported one present must match (a correct sha-256 cannot excuse a wrong sha-512).
 */
export function verifyContentDigest(header: string, body: Uint8Array | string): DigestCheck {
  if (header.length > MAX_DIGEST_HEADER_LENGTH) return { ok: false, reason: 'Content-Digest header too long' };
  let members;
  try {
    members = parseDictionary(header);
  } catch {
    return { ok: false, reason: 'Content-Digest is not a structured-field dictionary' };
  }
  let checked = 0;
  for (const [key, member] of members) {
    if (!isDigestAlgorithm(key)) continue;
    const value = isInnerList(member) ? undefined : member[0];
    if (!(value instanceof ArrayBuffer)) return { ok: false, reason: `Content-Digest ${key} is not a byte sequence` };
    if (!sameBytes(new Uint8Array(value), digestOf(body, key))) {
      return { ok: false, reason: `Content-Digest ${key} does not match the body` };
    }
    checked++;
  }
  return checked > 0 ? { ok: true } : { ok: false, reason: 'Content-Digest has no sha-256 or sha-512 digest' };
}

function isDigestAlgorithm(key: string): key is DigestAlgorithm {
  return Object.hasOwn(ALGORITHMS, key);
}

function digestOf(body: Uint8Array | string, algorithm: DigestAlgorithm): Uint8Array<ArrayBuffer> {
  const hash = createHash(ALGORITHMS[algorithm]);
  hash.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return new Uint8Array(hash.digest());
}

/** Constant-time for equal lengths; the length of a public digest is no secret. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
