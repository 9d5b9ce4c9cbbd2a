import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../identity/key-files.js';
import { keyLookupFromDir } from '../identity/key-state.js';
import { decodePublicKeyPem } from '../identity/keys.js';
import { signRequest } from '../identity/signer.js';
import { claimAgent } from './claimed-agent.js';

const pair = generateKeyPair();
const decoded = decodePublicKeyPem(pair.publicKeyPem, 'alice.pub');
if (!decoded.ok) throw new Error(decoded.reason);
const keys = keyLookupFromDir(new Map([['alice', decoded.key]]));

function signedHeaders(agent: string): Record<string, string> {
  const headers = signRequest({
    agent,
    privateKey: pair.privateKeyPem,
    method: 'GET',
    url: 'http://127.0.0.1/v1/messages',
  });
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe('claimAgent', () => {
  it.each([
    ['unsigned, no header', {}, { ok: true, agent: 'anonymous' }],
    ['unsigned, named', { 'x-portcullis-agent': 'bob' }, { ok: true, agent: 'bob' }],
    ['unsigned, a bad name', { 'x-portcullis-agent': 'bob smith' }, { ok: false }],
    [
      'signed: the keyid, whatever the header says',
      { ...signedHeaders('alice'), 'x-portcullis-agent': 'bob' },
      { ok: true, agent: 'alice' },
    ],
    [
      'signed by an unknown keyid: that keyid (verification will refuse it)',
      signedHeaders('mallory'),
      { ok: true, agent: 'mallory' },
    ],
    [
      'malformed signature headers',
      { 'signature-input': 'sig1=(((', signature: 'x' },
      { ok: true, agent: 'anonymous' },
    ],
    ['only one signature header', { signature: 'sig1=:AAAA:' }, { ok: true, agent: 'anonymous' }],
    [
      'a keyid that is no agent name',
      { 'signature-input': 'sig1=();keyid="../x"', signature: 'sig1=:AAAA:' },
      { ok: true, agent: 'anonymous' },
    ],
  ])('%s', (_name, headers, claim) => {
    expect(claimAgent(headers, keys)).toEqual(claim);
  });

  it('prefers the first label whose keyid has keys, as the verifier does', () => {
    const headers = {
      'signature-input': 'a=();keyid="mallory", b=();keyid="alice"',
      signature: 'a=:AAAA:, b=:AAAA:',
    };
    expect(claimAgent(headers, keys)).toEqual({ ok: true, agent: 'alice' });
  });
});
