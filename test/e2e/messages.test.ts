/**
 * Agent-to-agent messages end to end (DESIGN.md §1): a real gateway, real HTTP, Ed25519 keys from writeKeyPair.
 * Sends go through the request pipeline (signature, suspension, rate limit, `can_message`), land in the recipient's
 * inbox, and are read by cursor without being deleted; inboxes are bounded and expire; every send and read has an
 * audit row. A second gateway runs in onboarding mode (unsigned callers named by X-Portcullis-Agent) with tiny
 * inbox bounds for the full-inbox and expiry cases.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../../src/identity/key-files.js';
import { createSigningFetch, signRequest } from '../../src/identity/signer.js';
import { readAudit } from '../helpers/audit.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

let keysDir: string;
let signed: StartedGateway;
let open: StartedGateway;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & {
    error?: { code: number; message: string; data?: Record<string, unknown> };
    messages?: { id: number; from: string; content: unknown; metadata: unknown; created_at: string }[];
    next_cursor?: string;
  };
}

const keyOf = (agent: string): string => readFileSync(join(keysDir, `${agent}.key`), 'utf8');
const messagesUrl = (gw: StartedGateway, query = ''): string => `${gw.origin}/v1/messages${query}`;

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

interface SendOptions {
  readonly gw?: StartedGateway;
  /** Sign as this agent (default: the `agent` argument); `null` sends unsigned. */
  readonly signAs?: string | null;
  readonly headers?: Record<string, string>;
  /** Changes the body after signing. */
  readonly tamper?: (body: string) => string;
}

/** POST /v1/messages as `agent`, signed unless told otherwise. A string body is sent as is. */
async function send(agent: string, body: unknown, options: SendOptions = {}): Promise<Answer> {
  const gw = options.gw ?? signed;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const url = messagesUrl(gw);
  const signAs = options.signAs === undefined ? agent : options.signAs;
  const signature =
    signAs === null ? {} : signRequest({ agent: signAs, privateKey: keyOf(signAs), method: 'POST', url, body: text });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signature, ...options.headers },
    body: options.tamper ? options.tamper(text) : text,
  });
  return answerOf(response);
}

/** GET /v1/messages as `agent` (signed unless `signAs` is null). */
async function read(agent: string, query = '', options: SendOptions = {}): Promise<Answer> {
  const gw = options.gw ?? signed;
  const url = messagesUrl(gw, query);
  const signAs = options.signAs === undefined ? agent : options.signAs;
  const signature =
    signAs === null ? {} : signRequest({ agent: signAs, privateKey: keyOf(signAs), method: 'GET', url });
  return answerOf(await fetch(url, { headers: { ...signature, ...options.headers } }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'portcullis-message-keys-'));
  for (const agent of ['alice', 'bob', 'carol', 'dave', 'eve']) {
    const written = await writeKeyPair(keysDir, agent);
    if (!written.ok) throw new Error(written.problem);
  }
  [signed, open] = await Promise.all([
    startGateway({
      yaml: `
server: { max_body_bytes: 262144 }
identity: { require_signature: true, keys_dir: ${JSON.stringify(keysDir)} }
default_policy: deny
agents:
  alice: { can_message: [bob] }
  bob: { can_message: [] }
  carol: { can_message: [alice] }
  dave: { can_message: [bob], suspended: true }
  eve: { can_message: [bob], rate_limit: { requests: 2, window_s: 60 } }
`,
    }),
    startGateway({
      yaml: `
identity: { require_signature: false, keys_dir: ${JSON.stringify(keysDir)} }
default_policy: allow
messages: { ttl_s: 1, max_per_inbox: 2 }
`,
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([signed?.stop(), open?.stop()]);
  rmSync(keysDir, { recursive: true, force: true });
});

describe('sending and reading', () => {
  it('alice → bob is delivered; bob reads it, twice: reading does not delete', async () => {
    const sent = await send('alice', { to: 'bob', content: { text: 'hello bob' }, metadata: { thread: 't-1' } });
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ id: expect.any(Number), expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const expiresIn = Date.parse(String(sent.body.expires_at)) - Date.now();
    expect(expiresIn).toBeGreaterThan(86_000_000);
    for (let i = 0; i < 2; i++) {
      const inbox = await read('bob');
      expect(inbox.status).toBe(200);
      expect(inbox.body.messages).toEqual([
        {
          id: sent.body.id,
          from: 'alice',
          content: { text: 'hello bob' },
          metadata: { thread: 't-1' },
          created_at: expect.any(String),
        },
      ]);
      expect(inbox.body.next_cursor).toBe(String(sent.body.id));
    }
  });

  it('pages by cursor, oldest first, with limit', async () => {
    const start = (await read('bob')).body.next_cursor ?? '0';
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      const sent = await send('alice', { to: 'bob', content: n });
      expect(sent.status).toBe(201);
      ids.push(sent.body.id as number);
    }
    const first = await read('bob', `?after=${start}&limit=2`);
    expect(first.body.messages?.map((m) => m.content)).toEqual([1, 2]);
    expect(first.body.next_cursor).toBe(String(ids[1]));
    const second = await read('bob', `?after=${first.body.next_cursor}&limit=2`);
    expect(second.body.messages?.map((m) => m.content)).toEqual([3]);
    const done = await read('bob', `?after=${second.body.next_cursor}`);
    expect(done.body).toEqual({ messages: [], next_cursor: second.body.next_cursor });
  });

  it.each([
    '?after=-1',
    '?after=01',
    '?after=1e3',
    '?after=abc',
    '?after=99999999999999999',
    '?limit=0',
    '?limit=101',
    '?after=1&after=2',
    '?cursor=1',
  ])('a bad query %s is refused with 400', async (query) => {
    const answer = await read('bob', query);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(/^Invalid query/);
  });

  it('an agent reads only its own inbox, whatever it asks for', async () => {
    const sent = await send('carol', { to: 'alice', content: 'for alice only' });
    expect(sent.status).toBe(201);
    const asBob = await read('bob', '', { headers: { 'x-portcullis-agent': 'alice' } });
    expect(asBob.status).toBe(200);
    expect(asBob.body.messages?.map((m) => m.from)).not.toContain('carol');
    expect(asBob.body.messages?.every((m) => m.from === 'alice')).toBe(true);
    const asAlice = await read('alice');
    expect(asAlice.body.messages).toMatchObject([{ id: sent.body.id, from: 'carol', content: 'for alice only' }]);
  });

  it('a client built on createSigningFetch sends and reads (the docs/messages.md example)', async () => {
    const signedFetch = createSigningFetch({ agent: 'alice', privateKey: keyOf('alice') });
    const gateway = signed.origin;
    // --- as in docs/messages.md ---
    const response = await signedFetch(`${gateway}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        to: 'bob',
        content: { task: 'summarize', doc: 'q3.pdf' },
        metadata: { priority: 'high' },
      }),
    });
    const { id } = (await response.json()) as { id: number; expires_at: string };
    // ---
    expect(response.status).toBe(201);
    const bobFetch = createSigningFetch({ agent: 'bob', privateKey: keyOf('bob') });
    let cursor = '0';
    const seen: unknown[] = [];
    for (;;) {
      const page = (await (await bobFetch(`${gateway}/v1/messages?after=${cursor}&limit=100`)).json()) as {
        messages: { id: number; content: unknown }[];
        next_cursor: string;
      };
      if (page.messages.length === 0) break;
      seen.push(...page.messages.filter((m) => m.id === id).map((m) => m.content));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual([{ task: 'summarize', doc: 'q3.pdf' }]);
  });
});

describe('the pipeline decides', () => {
  const BAD_SIGNATURE = { code: -32081, message: 'Request signature rejected', data: { reason: 'bad_signature' } };
  const NOT_PERMITTED = { code: -32083, message: 'Not permitted', data: { reason: 'acl_denied' } };

  it.each([
    ['alice', 'carol', 'not in alice’s can_message'],
    ['bob', 'alice', 'bob’s empty can_message falls back to default_policy: deny'],
  ])('%s → %s is refused with 403 acl_denied (%s)', async (from, to) => {
    const answer = await send(from, { to, content: 'hi' });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: NOT_PERMITTED });
  });

  it('an unsigned send or read is refused with 401', async () => {
    const unsigned = await send(
      'alice',
      { to: 'bob', content: 'hi' },
      { signAs: null, headers: { 'x-portcullis-agent': 'alice' } },
    );
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toEqual({ error: BAD_SIGNATURE });
    const unsignedRead = await read('bob', '', { signAs: null, headers: { 'x-portcullis-agent': 'bob' } });
    expect(unsignedRead.status).toBe(401);
  });

  it('a tampered body is refused with 401', async () => {
    const answer = await send('alice', { to: 'bob', content: 'pay 10' }, { tamper: (b) => b.replace('10', '99') });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: BAD_SIGNATURE });
  });

  it('a read signed for another query is refused', async () => {
    const url = messagesUrl(signed, '?after=0');
    const signature = signRequest({ agent: 'bob', privateKey: keyOf('bob'), method: 'GET', url });
    const answer = await answerOf(await fetch(messagesUrl(signed, '?after=1'), { headers: signature }));
    expect(answer.status).toBe(401);
  });

  it('"from" must be the signer: another name is refused, the signer’s own is fine', async () => {
    const forged = await send('alice', { to: 'bob', content: 'from carol, honest', from: 'carol' });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: BAD_SIGNATURE });
    expect((await send('alice', { to: 'bob', content: 'hi', from: 'alice' })).status).toBe(201);
  });

  it('a suspended agent is refused with 403 suspended, sending or reading', async () => {
    const answer = await send('dave', { to: 'bob', content: 'hi' });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      error: { code: -32082, message: 'Agent is suspended', data: { reason: 'suspended' } },
    });
    expect((await read('dave')).status).toBe(403);
  });

  it('a message counts against the sender’s rate limit: over it, 429 with Retry-After', async () => {
    expect((await send('eve', { to: 'bob', content: 1 })).status).toBe(201);
    expect((await send('eve', { to: 'bob', content: 2 })).status).toBe(201);
    const over = await send('eve', { to: 'bob', content: 3 });
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({
      code: -32029,
      data: { reason: 'rate_limited', retry_after_ms: expect.any(Number) },
    });
    const seconds = Number(over.headers.get('retry-after'));
    expect(seconds).toBe(Math.ceil(Number(over.body.error?.data?.retry_after_ms) / 1000));
    expect(seconds).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  it.each([
    ['not JSON', '{"to": "bob", ', 400, /^Parse error/],
    ['an array', '[1]', 400, /must be a JSON object/],
    ['no recipient', { content: 'x' }, 400, /"to"/],
    ['a recipient that is no agent name', { to: '../bob', content: 'x' }, 400, /"to"/],
    ['no content', { to: 'bob' }, 400, /"content" is required/],
    ['metadata that is not an object', { to: 'bob', content: 'x', metadata: ['a'] }, 400, /"metadata"/],
    ['an unknown field', { to: 'bob', content: 'x', cc: 'carol' }, 400, /unknown field "cc"/],
    ['content nested too deeply', `{"to":"bob","content":${'['.repeat(100)}${']'.repeat(100)}}`, 400, /nest/],
    ['content over 64 KiB', { to: 'bob', content: 'x'.repeat(70_000) }, 413, /Message too large/],
    ['a body over server.max_body_bytes', { to: 'bob', content: 'x'.repeat(300_000) }, 413, /Request body too large/],
  ])('%s is refused with its status', async (_name, body, status, message) => {
    const answer = await send('alice', body);
    expect(answer.status).toBe(status);
    expect(answer.body.error?.message).toMatch(message);
  });

  it('a foreign Origin is refused with 403; a wrong Content-Type with 415; other methods with 405', async () => {
    const foreign = await send('alice', { to: 'bob', content: 'x' }, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const text = await send('alice', { to: 'bob', content: 'x' }, { headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const put = await fetch(messagesUrl(signed), { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('the audit log', () => {
  it('records every send and read: agent, verified, decision, reason, stages, payload', async () => {
    const sent = await send('alice', { to: 'bob', content: 'audited' });
    await send('alice', { to: 'carol', content: 'refused' });
    await read('bob');
    const rows = await readAudit(signed.dbPath, { agent: 'alice' });
    const sends = rows.filter((r) => r.method === 'messages/send');
    const allowed = sends.find((r) => r.payload?.includes('"audited"'));
    expect(allowed).toMatchObject({
      kind: 'request',
      verified: true,
      decision: 'allow',
      reason: null,
      tool: 'bob',
      forwarded: true,
    });
    expect(allowed?.stages.map((s) => s.stage)).toEqual([
      'limit-source',
      'verify-signature',
      'check-suspension',
      'rate-limit',
      'check-acl',
      'check-approval',
      'scan-rules',
      'run-guards',
    ]);
    expect(JSON.parse(allowed?.payload ?? 'null')).toMatchObject({ response: { id: sent.body.id } });
    const denied = sends.find((r) => r.payload?.includes('"refused"'));
    expect(denied).toMatchObject({
      decision: 'deny',
      reason: 'acl_denied',
      tool: 'carol',
      forwarded: false,
      errorCode: -32083,
    });
    expect(denied?.detail).toContain('can_message');
    const reads = (await readAudit(signed.dbPath, { agent: 'bob' })).filter((r) => r.method === 'messages/read');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.at(-1)).toMatchObject({ verified: true, decision: 'allow', forwarded: true });
    const badSignatures = (await readAudit(signed.dbPath, { decision: 'deny' })).filter(
      (r) => r.method === 'messages/send' && r.reason === 'bad_signature',
    );
    // Unsigned and tampered sends fail in verify-signature, unverified; a forged "from" fails after it, verified.
    const failedVerification = badSignatures.filter((r) => r.stages.at(-1)?.stage === 'verify-signature');
    expect(failedVerification.length).toBeGreaterThan(0);
    expect(failedVerification.every((r) => !r.verified)).toBe(true);
    expect(badSignatures.find((r) => r.verified)).toMatchObject({
      agent: 'alice',
      detail: '"from" names "carol", the sender is alice',
    });
  });
});

describe('onboarding mode, small inboxes', () => {
  const as = (agent: string): SendOptions => ({ gw: open, signAs: null, headers: { 'x-portcullis-agent': agent } });

  it('an unsigned caller is the agent X-Portcullis-Agent names, unverified; "from" must match it', async () => {
    const sent = await send('ann', { to: 'ben', content: 'hi' }, as('ann'));
    expect(sent.status).toBe(201);
    expect((await read('ben', '', as('ben'))).body.messages).toMatchObject([{ from: 'ann', content: 'hi' }]);
    expect((await send('ann', { to: 'ben', content: 'x', from: 'zed' }, as('ann'))).status).toBe(401);
    const rows = (await readAudit(open.dbPath, { agent: 'ann' })).filter((r) => r.method === 'messages/send');
    expect(rows[0]).toMatchObject({ verified: false, decision: 'allow' });
  });

  it('a full inbox refuses with 429 and Retry-After until its oldest message expires; expired messages are gone', async () => {
    expect((await send('ann', { to: 'cid', content: 1 }, as('ann'))).status).toBe(201);
    expect((await send('ann', { to: 'cid', content: 2 }, as('ann'))).status).toBe(201);
    const full = await send('ann', { to: 'cid', content: 3 }, as('ann'));
    expect(full.status).toBe(429);
    expect(full.body.error).toMatchObject({ code: -32029, data: { reason: 'rate_limited' } });
    const wait = Number(full.body.error?.data?.retry_after_ms);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1_000);
    expect(full.headers.get('retry-after')).toBe('1');
    // Another inbox is not affected.
    expect((await send('ann', { to: 'dee', content: 1 }, as('ann'))).status).toBe(201);
    await sleep(wait + 50);
    expect((await read('cid', '', as('cid'))).body.messages).toEqual([]);
    expect((await send('ann', { to: 'cid', content: 4 }, as('ann'))).status).toBe(201);
    expect((await read('cid', '', as('cid'))).body.messages?.map((m) => m.content)).toEqual([4]);
    const refused = (await readAudit(open.dbPath, { agent: 'ann', decision: 'deny' })).find(
      (r) => r.reason === 'rate_limited',
    );
    expect(refused).toMatchObject({ reason: 'rate_limited', tool: 'cid', errorCode: -32029 });
    expect(refused?.detail).toContain('inbox of cid is full');
  });

  it('a bad X-Portcullis-Agent is refused with 400', async () => {
    expect((await send('x', { to: 'ben', content: 'hi' }, as('../etc'))).status).toBe(400);
  });
});
