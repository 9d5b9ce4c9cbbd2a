/**
 * The benchmark's agent: one Ed25519 key pair for agent "bench" written with `writeKeyPair` into a temporary keys
 * directory (the gateway's `identity.keys_dir`), and a signer that signs each gateway request with `signRequest`
 * (RFC 9421, a fresh `created` and random nonce every time), as a real signing client does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { parsePrivateKeyPem } from '../../src/identity/keys.js';
import { signRequest } from '../../src/identity/signer.js';

/** The agent the benchmark calls as; the gateway config allows it `everything/echo` and nothing else. */
export const BENCH_AGENT = 'bench';

/** Signs one request: the headers to add to it (`content-digest`, `signature-input`, `signature`), lower-cased. */
export type RequestSigner = (method: string, url: string, body?: string) => Record<string, string>;

export interface BenchIdentity {
  readonly agent: string;
  /** The directory holding `bench.key` and `bench.pub`. */
  readonly keysDir: string;
  /** The private key as PEM, for the SDK client's `createSigningFetch`. */
  readonly privateKeyPem: string;
  readonly sign: RequestSigner;
}

/** Writes a fresh key pair for `bench` into `keysDir` (which must not hold one yet). */
export async function createBenchIdentity(keysDir: string): Promise<BenchIdentity> {
  const written = await writeKeyPair(keysDir, BENCH_AGENT);
  if (!written.ok) throw new Error(`bench key pair: ${written.problem}`);
  const privateKeyPem = readFileSync(join(keysDir, `${BENCH_AGENT}.key`), 'utf8');
  // Parsed once, as createSigningFetch does: each request then pays for the digest and the signature only.
  const parsed = parsePrivateKeyPem(privateKeyPem, written.keyPath);
  if (!parsed.ok) throw new Error(`bench key pair: ${parsed.problem}`);
  const seed = parsed.key.seed;
  const sign: RequestSigner = (method, url, body) => {
    const headers = signRequest({
      agent: BENCH_AGENT,
      privateKey: seed,
      method,
      url,
      ...(body === undefined ? {} : { body }),
    });
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  };
  return { agent: BENCH_AGENT, keysDir, privateKeyPem, sign };
}
