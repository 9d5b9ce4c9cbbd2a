import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Point } from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import {
  checkPublicKeyBytes,
  fingerprintOf,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  publicKeyFromRaw,
  readPrivateKeyFile,
  readPublicKeyFile,
} from './keys.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const spkiPem = (raw: Uint8Array) =>
  `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([SPKI_PREFIX, raw]).toString('base64')}\n-----END PUBLIC KEY-----\n`;

/** The eight points of the torsion subgroup E[8], canonically encoded. */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity, order 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
];

/** RFC 8032 TEST 1 public key: a valid key. */
const GOOD = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('small-order keys', () => {
  it('node:crypto accepts a forged signature (R = identity, S = 0) under the identity key, for any message', () => {
    const identity = fromHex(SMALL_ORDER[0] ?? '');
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, identity]), format: 'der', type: 'spki' });
    const forged = Buffer.concat([identity, Buffer.alloc(32)]);
    for (const message of ['tools/call delete_everything', '', 'anything at all']) {
      expect(verify(null, Buffer.from(message), key, forged)).toBe(true);
    }
  });

  it('our loader refuses that key', async () => {
    const result = await readPublicKeyFile(join(FIXTURES, 'small-order.pub'));
    expect(result).toEqual({ ok: false, problem: expect.stringMatching(/small-order\.pub: small-order point/) });
  });

  it('the list covers the whole torsion subgroup: eight distinct points', () => {
    const points = SMALL_ORDER.map((hex) => Point.fromHex(hex));
    expect(points.every((p) => p.isSmallOrder())).toBe(true);
    expect(new Set(points.map((p) => p.toHex())).size).toBe(8);
  });

  it.each(SMALL_ORDER)('refuses %s', (hex) => {
    expect(checkPublicKeyBytes(fromHex(hex))).toMatch(/small-order point/);
    expect(parsePublicKeyPem(spkiPem(fromHex(hex)), 'k.pub')).toMatchObject({ ok: false });
  });
});

describe('checkPublicKeyBytes', () => {
  const mixedOrder = Point.BASE.add(Point.fromHex(SMALL_ORDER[4] ?? '')).toHex();
  it.each<[string, string, RegExp | undefined]>([
    ['a valid key', GOOD, undefined],
    ['y = p (non-canonical 0)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /non-canonical/],
    [
      'y = p + 1 (non-canonical identity)',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      /non-canonical/,
    ],
    ['y = 2^255 − 1', 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /non-canonical/],
    ['x = 0 with the sign bit set', '0100000000000000000000000000000000000000000000000000000000000080', /canonically/],
    ['not on the curve', '0200000000000000000000000000000000000000000000000000000000000000', /not a canonically/],
    ['a point with a torsion component', mixedOrder, /small-order component/],
    ['31 bytes', GOOD.slice(2), /31 bytes/],
  ])('%s', (_name, hex, expected) => {
    const reason = checkPublicKeyBytes(fromHex(hex));
    if (expected) expect(reason).toMatch(expected);
    else expect(reason).toBeUndefined();
  });

  it('node:crypto itself accepts the non-canonical key: the check is ours', () => {
    const raw = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyType).toBe('ed25519');
  });
});

describe('parsePublicKeyPem', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const goodPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const pkcs8Pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const x25519Pem = generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const trailingDer = Buffer.concat([SPKI_PREFIX, fromHex(GOOD), Buffer.from([0])]).toString('base64');

  it('loads a key and exposes raw bytes, fingerprint and a cached KeyObject', () => {
    const result = parsePublicKeyPem(goodPem, 'bot.pub');
    if (!result.ok) throw new Error(result.problem);
    const jwkX = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    expect(Buffer.from(result.key.raw)).toEqual(jwkX);
    expect(result.key.fingerprint).toBe(fingerprintOf(jwkX));
    expect(result.key.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.key.keyObject.asymmetricKeyType).toBe('ed25519');
  });

  it.each<[string, string, RegExp]>([
    ['a PKCS#8 private key where a public key is expected', pkcs8Pem, /holds a private key \(PRIVATE KEY\)/],
    ['text that is not PEM', 'hello\n', /not a PEM file/],
    ['an X25519 key', x25519Pem, /x25519 key, expected ed25519/],
    ['two PEM blocks', goodPem + goodPem, /not a PEM file/],
    ['mismatched BEGIN/END', goodPem.replace('END PUBLIC KEY', 'END PRIVATE KEY'), /does not match/],
    ['a DER with trailing bytes', `-----BEGIN PUBLIC KEY-----\n${trailingDer}\n-----END PUBLIC KEY-----`, /SPKI|DER/],
    ['garbage in the body', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /not a valid SPKI/],
    ['a certificate label', goodPem.replaceAll('PUBLIC KEY', 'CERTIFICATE'), /"CERTIFICATE" block/],
  ])('refuses %s', (_name, pem, expected) => {
    const result = parsePublicKeyPem(pem, 'agent.pub');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(new RegExp(`^agent\\.pub: .*${expected.source}`));
  });

  it.each([
    ['not-a-key.pub', /not a PEM file/],
    ['rsa.pub', /rsa key, expected ed25519/],
    ['non-canonical.pub', /non-canonical encoding/],
    ['rfc9421-test-key.key', /holds a private key/],
  ])('refuses the fixture %s, naming the file', async (file, expected) => {
    const result = await readPublicKeyFile(join(FIXTURES, file));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(new RegExp(`/${file.replace('.', '\\.')}: .*${expected.source}`));
  });

  it('reports an unreadable file as a value', async () => {
    expect(await readPublicKeyFile(join(FIXTURES, 'missing.pub'))).toEqual({
      ok: false,
      problem: expect.stringMatching(/missing\.pub: cannot be read \(ENOENT\)/),
    });
  });
});

describe('parsePrivateKeyPem', () => {
  it('reads the RFC 9421 test key: seed (JWK d) and public key (JWK x)', async () => {
    const result = await readPrivateKeyFile(join(FIXTURES, 'rfc9421-test-key.key'));
    if (!result.ok) throw new Error(result.problem);
    expect(Buffer.from(result.key.seed).toString('base64url')).toBe('n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU');
    expect(Buffer.from(result.key.publicKey.raw).toString('base64url')).toBe(
      'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
    );
  });

  it('refuses a public key where a private key is expected', async () => {
    const pem = await readFile(join(FIXTURES, 'rfc9421-test-key.pub'), 'utf8');
    expect(parsePrivateKeyPem(pem, 'bot.key')).toEqual({
      ok: false,
      problem: 'bot.key: holds a PEM "PUBLIC KEY" block, expected "PRIVATE KEY"',
    });
  });

  it('refuses an encrypted private key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    expect(parsePrivateKeyPem(pem, 'bot.key')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/encrypted/),
    });
  });
});

describe('publicKeyFromRaw', () => {
  it('agrees with the PEM path on the RFC 9421 test key', async () => {
    const pem = await readPublicKeyFile(join(FIXTURES, 'rfc9421-test-key.pub'));
    const raw = publicKeyFromRaw(Buffer.from('JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs', 'base64url'), 'jwk');
    expect(pem.ok && raw.ok && pem.key.fingerprint === raw.key.fingerprint).toBe(true);
  });
});
