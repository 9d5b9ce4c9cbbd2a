/**
 * Agent key files (DESIGN.md §4, `portcullis keygen`, `identity.keys_dir`): NAME.key (PKCS#8 PEM, 0600), NAME.pub (SPKI).
 * Threat: a private key others can read, a key silently overwritten, one bad file hiding the rest; how it fails:
 * refusals are values, and a bad file is reported as a problem while every good file still loads.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePublicKeyPem, fingerprintOf, readKeyText, type PublicKeyInfo } from './keys.js';

/** Agent names: they become file names and `keyid` values, so no path separators and no leading dot. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** True when `name` is a valid agent name. */
export function isAgentName(name: string): boolean {
  return AGENT_NAME.test(name);
}

/** A freshly generated key pair as PEM text. */
export interface KeyPairPem {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  readonly fingerprint: string;
}

/** Generates an Ed25519 key pair: PKCS#8 private PEM, SPKI public PEM and the public key's fingerprint. */
export function generateKeyPair(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  return {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    fingerprint: fingerprintOf(raw),
  };
}

/** Where a new key pair was written, or why not. */
export type WriteKeyPairResult =
  | { readonly ok: true; readonly keyPath: string; readonly pubPath: string; readonly fingerprint: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Generates a key pair and writes `DIR/AGENT.key` (mode 0600) and `DIR/AGENT.pub`. Never overwrites: both files are
 * created exclusively (O_EXCL, which also refuses a symlink planted at the path) before anything is written.
 */
export async function writeKeyPair(dir: string, agent: string): Promise<WriteKeyPairResult> {
  if (!isAgentName(agent)) return { ok: false, problem: `invalid agent name "${agent}" (${AGENT_NAME.source})` };
  const keyPath = join(dir, `${agent}.key`);
  const pubPath = join(dir, `${agent}.pub`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    return { ok: false, problem: `${dir}: cannot create directory (${errorCode(error)})` };
  }
  // The mode is given at creation, so the private key is never readable by others, not even for an instant.
  const keyFile = await createExclusive(keyPath, 0o600);
  if (!keyFile.ok) return keyFile;
  const pubFile = await createExclusive(pubPath, 0o644);
  if (!pubFile.ok) {
    await keyFile.handle.close();
    await unlink(keyPath);
    return pubFile;
  }
  const pair = generateKeyPair();
  try {
    await writeAndClose(keyFile.handle, pair.privateKeyPem);
    await writeAndClose(pubFile.handle, pair.publicKeyPem);
  } catch (error) {
    await Promise.allSettled([keyFile.handle.close(), pubFile.handle.close(), unlink(keyPath), unlink(pubPath)]);
    return { ok: false, problem: `${keyPath}: cannot write key pair (${errorCode(error)})` };
  }
  return { ok: true, keyPath, pubPath, fingerprint: pair.fingerprint };
}

/** A file in the keys directory that was not loaded (or needs attention), and why. */
export interface KeyFileProblem {
  readonly file: string;
  readonly reason: string;
}

/** The agents' public keys found in a directory, and every problem met on the way. */
export interface KeyDir {
  readonly keys: ReadonlyMap<string, PublicKeyInfo>;
  readonly problems: readonly KeyFileProblem[];
}

/**
 * Loads every `AGENT.pub` in `dir`. A file that is not an acceptable Ed25519 public key is a problem and is skipped;
 * a private key `*.key` readable by group or others is a problem too; other files are ignored.
 */
export async function loadKeyDir(dir: string): Promise<KeyDir> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    return { keys: new Map(), problems: [{ file: dir, reason: `cannot read directory (${errorCode(error)})` }] };
  }
  const results = await Promise.all(names.map((name) => loadEntry(dir, name)));
  const problems: KeyFileProblem[] = [];
  const found: { agent: string; key: PublicKeyInfo }[] = [];
  for (const result of results) {
    if (result?.problem) problems.push(result.problem);
    if (result?.found) found.push(result.found);
  }
  return { keys: refuseSharedKeys(found, problems), problems };
}

type EntryResult = { problem?: KeyFileProblem; found?: { agent: string; key: PublicKeyInfo } } | undefined;

async function loadEntry(dir: string, name: string): Promise<EntryResult> {
  const file = join(dir, name);
  if (name.endsWith('.key')) return checkPrivateKeyMode(file);
  if (!name.endsWith('.pub')) return undefined;
  const agent = name.slice(0, -'.pub'.length);
  if (!isAgentName(agent)) return { problem: { file, reason: `"${agent}" is not a valid agent name` } };
  const text = await readKeyText(file);
  const key = text.ok ? decodePublicKeyPem(text.key, file) : text;
  return key.ok ? { found: { agent, key: key.key } } : { problem: { file, reason: key.reason } };
}

async function checkPrivateKeyMode(file: string): Promise<EntryResult> {
  try {
    const { mode } = await stat(file);
    if ((mode & 0o077) === 0) return undefined;
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    return { problem: { file, reason: `private key is readable by group or others (mode ${octal}); chmod 600 it` } };
  } catch (error) {
    return { problem: { file, reason: `cannot be checked (${errorCode(error)})` } };
  }
}

/**
 * Two agents with the same public key are ambiguous: whoever holds the private key could sign as either. Neither is
 * loaded, because the directory cannot say which name is the right one.
 */
function refuseSharedKeys(found: readonly { agent: string; key: PublicKeyInfo }[], problems: KeyFileProblem[]) {
  const agentsByFingerprint = new Map<string, string[]>();
  for (const { agent, key } of found) {
    agentsByFingerprint.set(key.fingerprint, [...(agentsByFingerprint.get(key.fingerprint) ?? []), agent]);
  }
  const keys = new Map<string, PublicKeyInfo>();
  for (const { agent, key } of found) {
    const sharing = agentsByFingerprint.get(key.fingerprint) ?? [];
    if (sharing.length === 1) keys.set(agent, key);
    else
      problems.push({
        file: key.source,
        reason: `the same public key is also given for ${listOthers(sharing, agent)}`,
      });
  }
  return keys;
}

function listOthers(agents: readonly string[], self: string): string {
  return agents.filter((agent) => agent !== self).join(', ');
}

async function createExclusive(
  path: string,
  mode: number,
): Promise<{ ok: true; handle: FileHandle } | { ok: false; problem: string }> {
  try {
    return { ok: true, handle: await open(path, 'wx', mode) };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return { ok: false, problem: `${path} already exists; refusing to overwrite it` };
    return { ok: false, problem: `${path}: cannot create (${code})` };
  }
}

async function writeAndClose(handle: FileHandle, text: string): Promise<void> {
  await handle.writeFile(text, 'utf8');
  await handle.sync();
  await handle.close();
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
