import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../config/schema.js';
import { type Logger, createLogger, createSilentLogger } from '../observability/logger.js';
import { type WebhookDispatcher, type WebhookOptions, createWebhookDispatcher, webhookSignature } from './dispatcher.js';

type Hook = Config['webhooks'][number];

/** What the fake receiver does with one call: answer a status, throw, wait for an abort, or wait to be released. */
type Reply = number | Error | 'hang' | 'hold';

interface Call {
  readonly url: string;
  readonly init: RequestInit;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Date.now() when the dispatcher called fetch. */
  readonly at: number;
  respond(status: number): void;
  fail(error: unknown): void;
  readonly settled: boolean;
}

interface FakeFetch {
  readonly fetch: typeof fetch;
  readonly calls: Call[];
  readonly inFlight: number;
  readonly maxInFlight: number;
}

/** A fetch that records each call and answers as `script` says (by call index, from 0, and URL). */
function fakeFetch(script: (index: number, url: string) => Reply = () => 200): FakeFetch {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const reply = script(calls.length, url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        inFlight--;
        return true;
      };
      const call: Call = {
        url,
        init,
        headers: init.headers as Record<string, string>,
        body: init.body as string,
        at: Date.now(),
        respond: (status) => {
          if (!settle()) return;
          const redirect = status >= 300 && status < 400;
          const bodyless = redirect || status === 204 || status === 205;
          resolve(new Response(bodyless ? null : 'receiver text', { status, headers: redirect ? { location: 'http://elsewhere.test/' } : {} }));
        },
        fail: (error) => {
          if (settle()) reject(error instanceof Error ? error : new Error(String(error)));
        },
        get settled() {
          return settled;
        },
      };
      calls.push(call);
      if (typeof reply === 'number') call.respond(reply);
      else if (reply instanceof Error) call.fail(reply);
      else if (reply === 'hang') init.signal?.addEventListener('abort', () => call.fail(init.signal?.reason));
    });
  };
  return {
    fetch: fn as typeof fetch,
    calls,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** A logger that keeps every line (debug and up), parsed. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines, raw };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const HOOK_A: Hook = { url: 'https://a.example.test/hook', events: ['blocked', 'approved'], secret: 'secret-a' };
const HOOK_B: Hook = { url: 'https://b.example.test/in', events: ['blocked'], secret: 'secret-b' };
const HOOK_C: Hook = { url: 'https://c.example.test/other', events: ['quarantined', 'agent_suspended'], secret: 'secret-c' };

const dispatchers: WebhookDispatcher[] = [];
afterEach(() => {
  for (const d of dispatchers.splice(0)) d.close();
});

function dispatcher(
  hooks: Hook[] | (() => Hook[]),
  fake: FakeFetch,
  limits: WebhookOptions['limits'] = {},
  logger: Logger = createSilentLogger(),
): WebhookDispatcher {
  const d = createWebhookDispatcher({
    hooks: typeof hooks === 'function' ? hooks : () => hooks,
    logger,
    fetch: fake.fetch,
    limits: { firstBackoffMs: 10, maxBackoffMs: 1_000, timeoutMs: 1_000, ...limits },
  });
  dispatchers.push(d);
  return d;
}

describe('webhookSignature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the body keyed with the secret', () => {
    const body = '{"id":"x","event":"blocked"}';
    expect(webhookSignature('k', body)).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    // A known vector (RFC 4231 test case 2).
    expect(webhookSignature('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(webhookSignature('k', `${body} `)).not.toBe(webhookSignature('k', body));
    expect(webhookSignature('k2', body)).not.toBe(webhookSignature('k', body));
  });
});

describe('createWebhookDispatcher: what is sent', () => {
  it('POSTs once to each hook subscribed to the event, signed over the exact body, and to no other hook', async () => {
    const fake = fakeFetch();
    const d = dispatcher([HOOK_A, HOOK_B, HOOK_C], fake);
    const before = Date.now();
    d.emit('blocked', { agent: 'alice', tool: 'read_file', findings: ['aws-key'] });
    const after = Date.now();
    await d.drain(2_000);

    expect(fake.calls.map((c) => c.url).sort()).toEqual([HOOK_A.url, HOOK_B.url]);
    expect(d.stats()).toEqual({ queued: 0, delivered: 2, failed: 0, dropped: 0 });

    const [first, second] = fake.calls as [Call, Call];
    // One emit, one body and one delivery id for every hook.
    expect(second.body).toBe(first.body);
    expect(second.headers['x-portcullis-delivery']).toBe(first.headers['x-portcullis-delivery']);

    const body = JSON.parse(first.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['id', 'event', 'ts', 'data']);
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.event).toBe('blocked');
    expect(body.data).toEqual({ agent: 'alice', tool: 'read_file', findings: ['aws-key'] });
    expect(typeof body.ts).toBe('string');
    expect(new Date(body.ts as string).toISOString()).toBe(body.ts);
    const ts = Date.parse(body.ts as string);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);

    for (const call of fake.calls) {
      const hook = call.url === HOOK_A.url ? HOOK_A : HOOK_B;
      expect(call.init.method).toBe('POST');
      expect(call.init.redirect).toBe('manual');
      expect(call.init.signal).toBeInstanceOf(AbortSignal);
      expect(call.headers).toEqual({
        'content-type': 'application/json',
        'user-agent': 'portcullis-webhooks',
        'x-portcullis-event': 'blocked',
        'x-portcullis-delivery': body.id,
        'x-portcullis-signature': webhookSignature(hook.secret, call.body),
      });
      // What a receiver does: recompute the HMAC over the raw body with its secret.
      const expected = `sha256=${createHmac('sha256', hook.secret).update(call.body, 'utf8').digest('hex')}`;
      expect(call.headers['x-portcullis-signature']).toBe(expected);
    }
    // Each hook signs with its own secret.
    expect(first.headers['x-portcullis-signature']).not.toBe(second.headers['x-portcullis-signature']);
  });

  it('uses a new delivery id for each emit', async () => {
    const fake = fakeFetch();
    const d = dispatcher([HOOK_A], fake);
    d.emit('blocked', { n: 1 });
    d.emit('approved', { n: 2 });
    await d.drain(2_000);
    expect(fake.calls).toHaveLength(2);
    const [one, two] = fake.calls.map((c) => JSON.parse(c.body) as { id: string; event: string; data: unknown });
    expect(one?.event).toBe('blocked');
    expect(two?.event).toBe('approved');
    expect(two?.data).toEqual({ n: 2 });
    expect(one?.id).not.toBe(two?.id);
    expect(fake.calls[1]?.headers['x-portcullis-event']).toBe('approved');
    expect(fake.calls[1]?.headers['x-portcullis-delivery']).toBe(two?.id);
  });

  it('sends nothing for an event no hook subscribed to', async () => {
    const fake = fakeFetch();
    const d = dispatcher([HOOK_A, HOOK_B], fake);
    d.emit('rejected', { agent: 'alice' });
    d.emit('agent_suspended', { agent: 'alice' });
    await d.drain(500);
    await sleep(30);
    expect(fake.calls).toHaveLength(0);
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 0, dropped: 0 });
  });

  it('emit returns at once and never waits for the receiver', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A, HOOK_B], fake, { concurrency: 1 });
    const result = d.emit('blocked', { agent: 'alice' }) as unknown;
    expect(result).toBeUndefined();
    // Nothing has been answered yet, and emit came back anyway, with both deliveries queued or in flight.
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 0, dropped: 0 });
    expect(d.stats().queued + fake.calls.length).toBe(2);
    expect(fake.calls.every((c) => !c.settled)).toBe(true);
    await tick();
    expect(fake.calls).toHaveLength(1);
    fake.calls[0]?.respond(204);
    await vi.waitFor(() => expect(fake.calls).toHaveLength(2), { timeout: 2_000, interval: 5 });
    fake.calls[1]?.respond(200);
    await d.drain(2_000);
    expect(d.stats()).toEqual({ queued: 0, delivered: 2, failed: 0, dropped: 0 });
  });

  it('reads hooks() at each emit: a hook added later gets later events, a removed one none', async () => {
    const fake = fakeFetch();
    let hooks: Hook[] = [HOOK_A];
    const d = dispatcher(() => hooks, fake);
    d.emit('blocked', { n: 1 });
    await d.drain(2_000);
    expect(fake.calls.map((c) => c.url)).toEqual([HOOK_A.url]);

    hooks = [HOOK_A, HOOK_B];
    d.emit('blocked', { n: 2 });
    await d.drain(2_000);
    expect(fake.calls.slice(1).map((c) => c.url).sort()).toEqual([HOOK_A.url, HOOK_B.url]);
    expect(fake.calls.slice(1).map((c) => (JSON.parse(c.body) as { data: unknown }).data)).toEqual([{ n: 2 }, { n: 2 }]);

    hooks = [HOOK_B];
    d.emit('blocked', { n: 3 });
    await d.drain(2_000);
    expect(fake.calls.slice(3).map((c) => c.url)).toEqual([HOOK_B.url]);
    expect(d.stats().delivered).toBe(4);
  });
});

describe('createWebhookDispatcher: failures and retries', () => {
  it('retries a 500 with exponential backoff and gives up after `attempts`', async () => {
    const fake = fakeFetch(() => 500);
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_A], fake, { attempts: 4, firstBackoffMs: 20, maxBackoffMs: 10_000 }, logger);
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().failed).toBe(1), { timeout: 3_000, interval: 5 });
    await sleep(200);

    expect(fake.calls).toHaveLength(4);
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 1, dropped: 0 });
    // Every attempt is the same delivery: same body, same id, same signature.
    expect(new Set(fake.calls.map((c) => c.body)).size).toBe(1);
    expect(new Set(fake.calls.map((c) => c.headers['x-portcullis-delivery'])).size).toBe(1);

    const gaps = fake.calls.slice(1).map((c, i) => c.at - (fake.calls[i] as Call).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[1]).toBeGreaterThanOrEqual(40);
    expect(gaps[2]).toBeGreaterThanOrEqual(80);
    for (const gap of gaps) expect(gap).toBeLessThan(500);

    const retries = lines.filter((l) => l.msg === 'webhook delivery failed; retrying');
    expect(retries.map((l) => [l.level, l.attempt, l.backoff_ms, l.problem])).toEqual([
      ['debug', 1, 20, 'answered 500'],
      ['debug', 2, 40, 'answered 500'],
      ['debug', 3, 80, 'answered 500'],
    ]);
    const giveUp = lines.filter((l) => l.msg === 'webhook delivery failed; giving up');
    expect(giveUp).toHaveLength(1);
    expect(giveUp[0]).toMatchObject({ level: 'warn', url: HOOK_A.url, event: 'blocked', attempts: 4, problem: 'answered 500' });
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const fake = fakeFetch(() => 503);
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_A], fake, { attempts: 5, firstBackoffMs: 5, maxBackoffMs: 12 }, logger);
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().failed).toBe(1), { timeout: 3_000, interval: 5 });
    expect(lines.filter((l) => l.msg === 'webhook delivery failed; retrying').map((l) => l.backoff_ms)).toEqual([5, 10, 12, 12]);
    expect(fake.calls).toHaveLength(5);
  });

  it('retries a thrown network error', async () => {
    const fake = fakeFetch((i) => (i < 2 ? new TypeError('fetch failed') : 200));
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_A], fake, { attempts: 5 }, logger);
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().delivered).toBe(1), { timeout: 3_000, interval: 5 });
    await sleep(60);
    expect(fake.calls).toHaveLength(3);
    expect(d.stats()).toEqual({ queued: 0, delivered: 1, failed: 0, dropped: 0 });
    expect(lines.filter((l) => l.msg === 'webhook delivery failed; retrying').map((l) => [l.attempt, l.backoff_ms, l.problem])).toEqual([
      [1, 10, 'fetch failed'],
      [2, 20, 'fetch failed'],
    ]);
  });

  it('aborts a receiver that never answers after timeoutMs, and retries it', async () => {
    const fake = fakeFetch(() => 'hang');
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_A], fake, { attempts: 2, timeoutMs: 30 }, logger);
    const start = Date.now();
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().failed).toBe(1), { timeout: 3_000, interval: 5 });
    const elapsed = Date.now() - start;

    expect(fake.calls).toHaveLength(2);
    // Two timeouts of 30 ms and one 10 ms backoff.
    expect(elapsed).toBeGreaterThanOrEqual(60);
    expect(elapsed).toBeLessThan(1_000);
    for (const call of fake.calls) expect(call.init.signal?.aborted).toBe(true);
    expect(fake.calls[1]?.init.signal).not.toBe(fake.calls[0]?.init.signal);
    const reason = fake.calls[0]?.init.signal?.reason as Error;
    expect(reason.name).toBe('TimeoutError');
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 1, dropped: 0 });
    expect(lines.find((l) => l.msg === 'webhook delivery failed; giving up')).toMatchObject({ attempts: 2, problem: reason.message });
  });

  it('stops retrying once a retry gets a 2xx', async () => {
    const fake = fakeFetch((i) => [500, 502, 201][i] ?? 500);
    const d = dispatcher([HOOK_A], fake, { attempts: 6 });
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().delivered).toBe(1), { timeout: 3_000, interval: 5 });
    await sleep(150);
    expect(fake.calls).toHaveLength(3);
    expect(d.stats()).toEqual({ queued: 0, delivered: 1, failed: 0, dropped: 0 });
  });

  it('does not follow a redirect: a 3xx is a failure and the Location is never fetched', async () => {
    const fake = fakeFetch(() => 302);
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_A], fake, { attempts: 2 }, logger);
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().failed).toBe(1), { timeout: 3_000, interval: 5 });
    await sleep(50);
    expect(fake.calls.map((c) => c.url)).toEqual([HOOK_A.url, HOOK_A.url]);
    for (const call of fake.calls) expect(call.init.redirect).toBe('manual');
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 1, dropped: 0 });
    expect(lines.find((l) => l.msg === 'webhook delivery failed; giving up')?.problem).toBe('answered 302');
  });

  it('counts a 404 as failed (no retry with attempts 1) and a 299 as delivered', async () => {
    const fake = fakeFetch((_i, url) => (url === HOOK_A.url ? 404 : 299));
    const d = dispatcher([HOOK_A, HOOK_B], fake, { attempts: 1 });
    d.emit('blocked', {});
    await d.drain(2_000);
    expect(fake.calls).toHaveLength(2);
    expect(d.stats()).toEqual({ queued: 0, delivered: 1, failed: 1, dropped: 0 });
  });

  it('keeps a URL’s credentials, query and fragment out of the log', async () => {
    const url = 'https://user:hunter2@hooks.example.test:8443/p/x?token=t0ps3cret#frag';
    const fake = fakeFetch(() => 500);
    const { logger, lines, raw } = capturingLogger();
    const d = dispatcher([{ url, events: ['blocked'], secret: 's' }], fake, { attempts: 2 }, logger);
    d.emit('blocked', {});
    await vi.waitFor(() => expect(d.stats().failed).toBe(1), { timeout: 3_000, interval: 5 });
    // The receiver is called at the URL as configured…
    expect(fake.calls.map((c) => c.url)).toEqual([url, url]);
    // …but the log names only its origin and path.
    const logged = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('webhook delivery failed'));
    expect(logged.map((l) => l.url)).toEqual(['https://hooks.example.test:8443/p/x', 'https://hooks.example.test:8443/p/x']);
    const text = raw.join('');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('user:');
    expect(text).not.toContain('t0ps3cret');
    expect(text).not.toContain('frag');
  });
});

describe('createWebhookDispatcher: queue and concurrency', () => {
  it('drops the oldest queued delivery beyond limits.queue, and counts it', async () => {
    const fake = fakeFetch(() => 'hold');
    const { logger, lines } = capturingLogger();
    const d = dispatcher([HOOK_B], fake, { queue: 2, concurrency: 1 }, logger);
    d.emit('blocked', { n: 1 });
    await tick();
    expect(fake.calls).toHaveLength(1);
    for (let n = 2; n <= 5; n++) d.emit('blocked', { n });
    // 1 went in flight at once; 2 and 3 were dropped to make room for 4 and 5.
    expect(d.stats()).toEqual({ queued: 2, delivered: 0, failed: 0, dropped: 2 });
    expect(lines.filter((l) => l.msg === 'webhook queue full: oldest delivery dropped').map((l) => [l.level, l.queue])).toEqual([
      ['warn', 2],
      ['warn', 2],
    ]);

    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => expect(fake.calls).toHaveLength(i + 1), { timeout: 2_000, interval: 5 });
      fake.calls[i]?.respond(200);
    }
    await d.drain(2_000);
    expect(fake.calls.map((c) => (JSON.parse(c.body) as { data: { n: number } }).data.n)).toEqual([1, 4, 5]);
    expect(d.stats()).toEqual({ queued: 0, delivered: 3, failed: 0, dropped: 2 });
  });

  it('counts one drop per delivery when one emit overflows the queue', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A, HOOK_B], fake, { queue: 1, concurrency: 1 });
    // Each emit queues all its deliveries before any is sent: with room for one, A is dropped for B every time.
    d.emit('blocked', { n: 1 }); // A#1 queued, dropped for B#1; B#1 in flight
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 0, dropped: 1 });
    await tick();
    expect(fake.calls.map((c) => c.url)).toEqual([HOOK_B.url]);
    d.emit('blocked', { n: 2 }); // A#2 queued, dropped for B#2
    expect(d.stats()).toEqual({ queued: 1, delivered: 0, failed: 0, dropped: 2 });
    fake.calls[0]?.respond(200);
    await vi.waitFor(() => expect(fake.calls).toHaveLength(2), { timeout: 2_000, interval: 5 });
    fake.calls[1]?.respond(200);
    await d.drain(2_000);
    expect(fake.calls.map((c) => [c.url, (JSON.parse(c.body) as { data: { n: number } }).data.n])).toEqual([
      [HOOK_B.url, 1],
      [HOOK_B.url, 2],
    ]);
    expect(d.stats()).toEqual({ queued: 0, delivered: 2, failed: 0, dropped: 2 });
  });

  it('never has more than limits.concurrency deliveries in flight', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A, HOOK_B], fake, { concurrency: 2 });
    for (let n = 1; n <= 3; n++) d.emit('blocked', { n }); // 6 deliveries
    await sleep(30);
    expect(fake.calls).toHaveLength(2);
    expect(fake.inFlight).toBe(2);
    expect(d.stats().queued).toBe(4);

    // Each answer frees one slot, which the next delivery takes.
    for (let released = 1; released <= 4; released++) {
      fake.calls[released - 1]?.respond(200);
      await vi.waitFor(() => expect(fake.calls).toHaveLength(2 + released), { timeout: 2_000, interval: 5 });
      await sleep(10);
      expect(fake.calls).toHaveLength(2 + released);
      expect(fake.inFlight).toBe(2);
    }
    fake.calls[4]?.respond(200);
    fake.calls[5]?.respond(200);
    await d.drain(2_000);
    expect(fake.calls).toHaveLength(6);
    expect(fake.maxInFlight).toBe(2);
    expect(d.stats()).toEqual({ queued: 0, delivered: 6, failed: 0, dropped: 0 });
  });

  it('never exceeds concurrency 1 across retries either', async () => {
    let answered = 0;
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A, HOOK_B, { ...HOOK_B, url: 'https://d.example.test/' }], fake, { concurrency: 1, attempts: 2 });
    d.emit('blocked', {});
    // Answer each call 500 the first time it is seen for a URL, 200 the second time.
    const seen = new Map<string, number>();
    while (answered < 6) {
      await vi.waitFor(() => expect(fake.calls.length).toBeGreaterThan(answered), { timeout: 2_000, interval: 2 });
      expect(fake.inFlight).toBe(1);
      const call = fake.calls[answered] as Call;
      const count = (seen.get(call.url) ?? 0) + 1;
      seen.set(call.url, count);
      call.respond(count === 1 ? 500 : 200);
      answered++;
    }
    await d.drain(2_000);
    expect(fake.maxInFlight).toBe(1);
    expect(fake.calls).toHaveLength(6);
    expect(d.stats()).toEqual({ queued: 0, delivered: 3, failed: 0, dropped: 0 });
  });
});

describe('createWebhookDispatcher: drain and close', () => {
  it('drain resolves at once when idle, and when everything (retries included) has settled', async () => {
    const fake = fakeFetch((i) => (i === 0 ? 500 : 200));
    const d = dispatcher([HOOK_A, HOOK_B], fake, { firstBackoffMs: 40 });
    const t0 = Date.now();
    await d.drain(5_000);
    expect(Date.now() - t0).toBeLessThan(50);

    d.emit('blocked', {});
    const t1 = Date.now();
    await d.drain(5_000);
    const took = Date.now() - t1;
    // It waited for the retry (40 ms later), not for the timeout.
    expect(took).toBeGreaterThanOrEqual(40);
    expect(took).toBeLessThan(2_000);
    expect(fake.calls).toHaveLength(3);
    expect(d.stats()).toEqual({ queued: 0, delivered: 2, failed: 0, dropped: 0 });
  });

  it('drain gives up after its timeout while a delivery is still in flight', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A], fake);
    d.emit('blocked', {});
    const t0 = Date.now();
    await d.drain(60);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(1_000);
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 0, dropped: 0 });
    fake.calls[0]?.respond(200);
    await d.drain(2_000);
    expect(d.stats().delivered).toBe(1);
  });

  it('close drops what is queued, cancels pending retries, and makes emit a no-op', async () => {
    const fake = fakeFetch(() => 500);
    const d = dispatcher([HOOK_A], fake, { firstBackoffMs: 30, attempts: 5 });
    d.emit('blocked', {});
    // Sent once (emit only queues; the send is on a later turn), then queued again for its retry.
    await vi.waitFor(
      () => {
        expect(fake.calls).toHaveLength(1);
        expect(d.stats().queued).toBe(1);
      },
      { timeout: 2_000, interval: 2 },
    );
    d.close();
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 0, dropped: 0 });
    d.emit('blocked', {});
    d.emit('approved', {});
    await sleep(120);
    expect(fake.calls).toHaveLength(1);
    expect(d.stats()).toEqual({ queued: 0, delivered: 0, failed: 0, dropped: 0 });
    await d.drain(1_000);
  });

  it('close lets in-flight deliveries finish but retries none of them', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A, HOOK_B], fake, { concurrency: 2, attempts: 5 });
    d.emit('blocked', { n: 1 });
    d.emit('blocked', { n: 2 });
    await tick();
    expect(fake.calls).toHaveLength(2);
    expect(d.stats().queued).toBe(2);
    d.close();
    expect(d.stats().queued).toBe(0);
    fake.calls[0]?.respond(200);
    fake.calls[1]?.respond(500);
    await sleep(80);
    expect(fake.calls).toHaveLength(2);
    expect(d.stats()).toEqual({ queued: 0, delivered: 1, failed: 1, dropped: 0 });
  });
});

describe('createWebhookDispatcher: scheduling regressions', () => {
  it('a short retry does not wait behind a longer backoff that was scheduled first', async () => {
    // A fails every time: its backoffs grow 20, 40, 80, 160 ms. B fails once, later: its retry is due 20 ms after.
    const fake = fakeFetch((_i, url) => (url.startsWith('https://a.') ? 500 : fake.calls.filter((c) => c.url.startsWith('https://b.')).length > 1 ? 200 : 500));
    const d = dispatcher([{ ...HOOK_A, events: ['approved'] }, HOOK_B], fake, { firstBackoffMs: 20, maxBackoffMs: 1_000, attempts: 6 });
    d.emit('approved', {});
    await vi.waitFor(() => expect(fake.calls.filter((c) => c.url.startsWith('https://a.')).length).toBe(4), { timeout: 2_000, interval: 2 });
    // A's next try is 160 ms away now.
    d.emit('blocked', {});
    await vi.waitFor(() => expect(fake.calls.filter((c) => c.url.startsWith('https://b.')).length).toBe(2), { timeout: 2_000, interval: 2 });
    const [first, second] = fake.calls.filter((c) => c.url.startsWith('https://b.'));
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeLessThan(120);
  });

  it('drain() after close() resolves once in-flight deliveries settle, not at its timeout', async () => {
    const fake = fakeFetch(() => 'hold');
    const d = dispatcher([HOOK_A], fake, {});
    d.emit('blocked', {});
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1), { timeout: 1_000, interval: 2 });
    d.close();
    const started = Date.now();
    const drained = d.drain(5_000);
    fake.calls[0]?.respond(200);
    await drained;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
