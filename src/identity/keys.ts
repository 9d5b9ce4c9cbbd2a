/**
 * Ed25519 key loading for request signatures (DESIGN.md §4, §5).
 * Threat: keys that let anyone forge a signature (small-order points, which node:crypto accepts with R = identity,
 * S = 0 for any message) or that have two encodings; how it fails: every refusal is a value naming the file.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Point } from '@noble/ed25519';

/** A verified Ed25519 public key, with the node:crypto KeyObject cached for `crypto.verify`. */
export interface PublicKeyInfo {
  /** The 32-byte encoded point (RFC 8032 §5.1.2; JWK `x`). */
  readonly raw: Uint8Array;
  /** base64url SHA-256 of `raw`. */
  readonly fingerprint: string;
  readonly keyObject: KeyObject;
  /** Where the key came from (a file path or a label), for messages. */
  readonly source: string;
}

/** An Ed25519 private key: the RFC 8032 32-byte seed and its public key. */
export interface PrivateKeyInfo {
  readonly seed: Uint8Array;
  readonly publicKey: PublicKeyInfo;
}

/** A loaded key, or why it was refused; `problem` names the source. */
export type KeyResult<T> = { readonly ok: true; readonly key: T } | { readonly ok: false; readonly problem: string };

/** The same before the source is prefixed: `reason` alone (loadKeyDir reports file and reason apart). */
export type Checked<T> = { ok: true; key: T } | { ok: false; reason: string };

const FIELD_PRIME = 2n ** 255n - 19n;
/** A PEM key file is a few hundred bytes; anything much larger is not a key and is not read. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** base64url SHA-256 of a raw public key: the key's fingerprint in key state, audit rows and CLI output. */
export function fingerprintOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('base64url');
}

/** Why 32 raw bytes are not an acceptable Ed25519 public key, or undefined when they are. */
export function checkPublicKeyBytes(raw: Uint8Array): string | undefined {
  if (raw.length !== 32) return `public key is ${raw.length} bytes, expected 32`;
  // RFC 8032 §5.1.3: y is the little-endian value with the sign bit cleared; y ≥ p has a second, canonical encoding.
  if (littleEndian(raw) % 2n ** 255n >= FIELD_PRIME) return 'non-canonical encoding (y ≥ 2^255−19)';
  let point: Point;
  try {
    point = Point.fromBytes(raw, false); // zip215 = false: the strict RFC 8032 decoding (refuses x = 0 with sign 1)
  } catch {
    return 'not a canonically encoded point on the curve';
  }
  if (point.isSmallOrder()) return 'small-order point: a signature of R = identity, S = 0 would verify any message';
  // Honest keys are a·B, always in the prime-order subgroup; a torsion component only serves malleability tricks.
  if (!point.isTorsionFree()) return 'point has a small-order component (not in the prime-order subgroup)';
  return undefined;
}

/** Builds a PublicKeyInfo from 32 raw bytes after the checks above. */
export function publicKeyFromRaw(raw: Uint8Array, source: string): KeyResult<PublicKeyInfo> {
  return withSource(source, checkedPublicKey(raw, source));
}

/** Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) holding an Ed25519 key. */
export function parsePublicKeyPem(pem: string, source: string): KeyResult<PublicKeyInfo> {
  return withSource(source, decodePublicKeyPem(pem, source));
}

/** Parses a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) holding an Ed25519 key. */
export function parsePrivateKeyPem(pem: string, source: string): KeyResult<PrivateKeyInfo> {
  return withSource(source, decodePrivateKeyPem(pem, source));
}

/** Reads and parses `NAME.pub`. */
export async function readPublicKeyFile(path: string): Promise<KeyResult<PublicKeyInfo>> {
  const text = await readKeyText(path);
  return text.ok ? parsePublicKeyPem(text.key, path) : { ok: false, problem: `${path}: ${text.reason}` };
}

/** Reads and parses `NAME.key`. */
export async function readPrivateKeyFile(path: string): Promise<KeyResult<PrivateKeyInfo>> {
  const text = await readKeyText(path);
  return text.ok ? parsePrivateKeyPem(text.key, path) : { ok: false, problem: `${path}: ${text.reason}` };
}

/** Reads a key file as text, refusing what is not a regular file or is too large to be a key. */
export async function readKeyText(path: string): Promise<Checked<string>> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, reason: 'not a regular file' };
    if (info.size > MAX_KEY_FILE_BYTES) return { ok: false, reason: `too large to be a key (${info.size} bytes)` };
    return { ok: true, key: await readFile(path, 'utf8') };
  } catch (error) {
    return { ok: false, reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}

/** Decodes a public-key PEM to a checked key; exported for loadKeyDir, which reports reasons per file. */
export function decodePublicKeyPem(pem: string, source: string): Checked<PublicKeyInfo> {
  const block = readPemBlock(pem);
  if (!block.ok) return block;
  if (block.key.label !== 'PUBLIC KEY') return { ok: false, reason: wrongLabel(block.key.label, 'PUBLIC KEY') };
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: block.key.der, format: 'der', type: 'spki' });
  } catch {
    return { ok: false, reason: 'not a valid SPKI public key' };
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') return { ok: false, reason: wrongType(keyObject) };
  // One key, one encoding: trailing bytes or other DER variants would let two files hold "different" equal keys.
  if (!keyObject.export({ format: 'der', type: 'spki' }).equals(block.key.der)) {
    return { ok: false, reason: 'non-canonical DER encoding' };
  }
  return checkedPublicKey(jwkBytes(keyObject, 'x'), source);
}

function decodePrivateKeyPem(pem: string, source: string): Checked<PrivateKeyInfo> {
  const block = readPemBlock(pem);
  if (!block.ok) return block;
  if (block.key.label !== 'PRIVATE KEY') return { ok: false, reason: wrongLabel(block.key.label, 'PRIVATE KEY') };
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: block.key.der, format: 'der', type: 'pkcs8' });
  } catch {
    return { ok: false, reason: 'not a valid PKCS#8 private key' };
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') return { ok: false, reason: wrongType(keyObject) };
  const publicKey = checkedPublicKey(jwkBytes(keyObject, 'x'), source);
  if (!publicKey.ok) return publicKey;
  return { ok: true, key: { seed: jwkBytes(keyObject, 'd'), publicKey: publicKey.key } };
}

function checkedPublicKey(raw: Uint8Array, source: string): Checked<PublicKeyInfo> {
  const reason = checkPublicKeyBytes(raw);
  if (reason !== undefined) return { ok: false, reason };
  const spki = Buffer.concat([SPKI_ED25519_PREFIX, raw]);
  const keyObject = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return { ok: true, key: { raw: Uint8Array.from(raw), fingerprint: fingerprintOf(raw), keyObject, source } };
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the raw key follows. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n-----END ([A-Z0-9 ]+)-----$/;

/** Exactly one PEM block and nothing else; base64 that does not round-trip is refused. */
function readPemBlock(text: string): Checked<{ label: string; der: Buffer }> {
  const match = PEM_BLOCK.exec(text.trim());
  if (!match) return { ok: false, reason: 'not a PEM file with a single key block' };
  const [, label = '', body = '', endLabel] = match;
  if (label !== endLabel) return { ok: false, reason: `PEM BEGIN ${label} does not match END ${endLabel}` };
  const base64 = body.replace(/\r?\n/g, '');
  const der = Buffer.from(base64, 'base64');
  if (der.length === 0 || der.toString('base64') !== base64)
    return { ok: false, reason: 'PEM body is not valid base64' };
  return { ok: true, key: { label, der } };
}

function wrongLabel(label: string, expected: string): string {
  if (expected === 'PUBLIC KEY' && label.endsWith('PRIVATE KEY')) {
    return `holds a private key (${label}) where a public key (SPKI) was expected; keep the private key secret`;
  }
  if (label === 'ENCRYPTED PRIVATE KEY') return 'encrypted private keys are not supported';
  return `holds a PEM "${label}" block, expected "${expected}"`;
}

function wrongType(keyObject: KeyObject): string {
  return `holds an ${keyObject.asymmetricKeyType ?? 'unknown'} key, expected ed25519`;
}

function jwkBytes(keyObject: KeyObject, member: 'x' | 'd'): Uint8Array {
  const jwk = keyObject.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk[member] ?? '', 'base64url'));
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

function withSource<T>(source: string, result: Checked<T>): KeyResult<T> {
  return result.ok ? result : { ok: false, problem: `${source}: ${result.reason}` };
}
