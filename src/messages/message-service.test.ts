import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { keyLookupFromDir } from '../identity/key-state.js';
import { createSilentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import type { MessageContext, Stage, Verdict } from '../pipeline/types.js';
import { type MessageStore, createMessageStore } from '../store/message-store.js';
import { type Database, openDatabase } from '../store/open-database.js';
import type { AuditLog, AuditRecord } from '../store/types.js';
import { type MessageRequest, type MessageService, createMessageService } from './message-service.js';

const URL_BASE = 'http://127.0.0.1:8080/v1/messages';

interface Setup {
  readonly service: MessageService;
  readonly store: MessageStore;
  readonly rows: AuditRecord[];
  readonly seen: MessageContext[];
  readonly db: Database;
}

const dbs: Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

/** A service over an in-memory store, with one recording stage that answers `verdict`. */
function setUp(
  options: {
    verdict?: (ctx: MessageContext) => Verdict;
    mode?: 'enforce' | 'observe';
    auditFails?: boolean;
    draining?: boolean;
    /** The audit write waits for this (a slow commit). */
    gate?: Promise<void>;
  } = {},
): Setup {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const store = createMessageStore(db);
  const rows: AuditRecord[] = [];
  const seen: MessageContext[] = [];
  const audit: AuditLog = {
    append: async (record) => {
      await options.gate;
      if (options.auditFails) throw new Error('disk full');
      rows.push(record);
    },
    flush: async () => undefined,
    close: async () => undefined,
  };
  const stage: Stage = {
    name: 'recording',
    check(ctx) {
      seen.push(ctx);
      return options.verdict?.(ctx) ?? { kind: 'continue', facts: { verified: true } };
    },
  };
  const config = configSchema.parse({ mode: options.mode ?? 'enforce', messages: { ttl_s: 60, max_per_inbox: 2 } });
  const service = createMessageService({
    live: () => ({ config, stages: { request: [stage] } }),
    store,
    audit,
    keys: () => keyLookupFromDir(new Map()),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createSilentLogger(),
    isDraining: () => options.draining ?? false,
    now: () => 1_700_000_000_000,
  });
  return { service, store, rows, seen, db };
}

const post = (body: unknown, headers: Record<string, string> = { 'x-portcullis-agent': 'alice' }): MessageRequest => ({
  method: 'POST',
  url: URL_BASE,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  source: '10.0.0.1',
});

const get = (query = '', headers: Record<string, string> = { 'x-portcullis-agent': 'bob' }): MessageRequest => ({
  method: 'GET',
  url: `${URL_BASE}${query}`,
  headers,
  body: '',
  source: '10.0.0.1',
});

describe('message service', () => {
  it('hands the pipeline a send as a request-phase call aimed at the recipient, with the raw HTTP request', async () => {
    const { service, seen } = setUp();
    const body = JSON.stringify({ to: 'bob', content: 'hi' });
    await service.send(post(body));
    expect(seen[0]).toMatchObject({
      phase: 'request',
      sessionId: undefined,
      method: 'messages/send',
      source: '10.0.0.1',
      target: { backend: '', kind: 'agent', name: 'bob' },
      payload: { to: 'bob', content: 'hi', metadata: null },
      http: { method: 'POST', url: URL_BASE, body },
      facts: { agent: 'alice', verified: false },
    });
  });

  it('hands the pipeline a read as housekeeping with no target', async () => {
    const { service, seen } = setUp();
    await service.read(get('?after=3&limit=7'));
    expect(seen[0]).toMatchObject({
      phase: 'housekeeping',
      method: 'messages/read',
      target: undefined,
      payload: { after: 3, limit: 7 },
      http: { method: 'GET', url: `${URL_BASE}?after=3&limit=7`, body: '' },
      facts: { agent: 'bob' },
    });
  });

  it('delivers, records the row, then answers 201; the recipient reads it', async () => {
    const { service, rows } = setUp();
    const sent = await service.send(post({ to: 'bob', content: { a: 1 } }));
    expect(sent).toEqual({ status: 201, body: { id: 1, expires_at: new Date(1_700_000_060_000).toISOString() } });
    expect(rows[0]).toMatchObject({
      method: 'messages/send',
      agent: 'alice',
      verified: true,
      decision: 'allow',
      tool: 'bob',
      forwarded: true,
    });
    const inbox = await service.read(get());
    expect(inbox.body).toEqual({
      messages: [
        {
          id: 1,
          from: 'alice',
          content: { a: 1 },
          metadata: null,
          created_at: new Date(1_700_000_000_000).toISOString(),
        },
      ],
      next_cursor: '1',
    });
    expect(rows[1]).toMatchObject({
      method: 'messages/read',
      agent: 'bob',
      decision: 'allow',
      payload: { response: { ids: [1], next_cursor: '1' } },
    });
  });

  it('a message becomes readable only once its audit row is committed', async () => {
    let commit = (): void => undefined;
    const gate = new Promise<void>((resolve) => (commit = resolve));
    const { service, store } = setUp({ gate });
    const sending = service.send(post({ to: 'bob', content: 'x' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.read('bob', 0, 100, 1_700_000_000_000)).toEqual([]);
    commit();
    expect((await sending).status).toBe(201);
    expect(store.read('bob', 0, 100, 1_700_000_000_000)).toHaveLength(1);
  });

  it('fails closed when the audit row cannot be written: 500, and the message is never readable', async () => {
    const failing = setUp({ auditFails: true });
    const sent = await failing.service.send(post({ to: 'bob', content: 'secret' }));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({
      error: { code: -32603, message: 'Internal gateway error', data: { reason: 'internal_error' } },
    });
    expect(failing.db.sqlite.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
    expect((await failing.service.read(get())).status).toBe(500);
  });

  it('a denial answers with its status and the /mcp error, and records the stage’s detail', async () => {
    const { service, rows, db } = setUp({
      verdict: () => ({ kind: 'deny', reason: 'acl_denied', detail: 'not on the list' }),
    });
    const answer = await service.send(post({ to: 'bob', content: 'x' }));
    expect(answer).toEqual({
      status: 403,
      body: { error: { code: -32083, message: 'Not permitted', data: { reason: 'acl_denied' } } },
      headers: {},
    });
    expect(rows[0]).toMatchObject({
      decision: 'deny',
      reason: 'acl_denied',
      detail: 'not on the list',
      forwarded: false,
      errorCode: -32083,
    });
    expect(db.sqlite.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });

  it('observe mode records the denial but delivers', async () => {
    const { service, rows } = setUp({
      mode: 'observe',
      verdict: () => ({ kind: 'deny', reason: 'acl_denied', detail: 'would deny' }),
    });
    expect((await service.send(post({ to: 'bob', content: 'x' }))).status).toBe(201);
    expect(rows[0]).toMatchObject({ decision: 'deny', reason: 'acl_denied', forwarded: true, mode: 'observe' });
  });

  it('a full inbox is refused with rate_limited, retry_after_ms and Retry-After', async () => {
    const { service, rows } = setUp();
    await service.send(post({ to: 'bob', content: 1 }));
    await service.send(post({ to: 'bob', content: 2 }));
    const full = await service.send(post({ to: 'bob', content: 3 }));
    expect(full).toEqual({
      status: 429,
      body: {
        error: {
          code: -32029,
          message: 'Rate limit exceeded',
          data: { retry_after_ms: 60_000, reason: 'rate_limited' },
        },
      },
      headers: { 'retry-after': '60' },
    });
    expect(rows[2]).toMatchObject({
      decision: 'deny',
      reason: 'rate_limited',
      detail: 'inbox of bob is full (2 of messages.max_per_inbox 2); retry_after_ms=60000',
    });
  });

  it('refuses a "from" naming anyone but the established sender, after the pipeline ran', async () => {
    const { service, rows, seen } = setUp();
    const answer = await service.send(post({ to: 'bob', content: 'x', from: 'carol' }));
    expect(answer.status).toBe(401);
    expect(seen).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      decision: 'deny',
      reason: 'bad_signature',
      detail: '"from" names "carol", the sender is alice',
    });
  });

  it('refuses bad input before the pipeline, without a row', async () => {
    const { service, rows, seen } = setUp();
    expect((await service.send(post('{'))).status).toBe(400);
    expect((await service.send(post({ to: 'bob', content: 'x' }, { 'x-portcullis-agent': 'bad name' }))).status).toBe(
      400,
    );
    expect((await service.read(get('?after=x'))).status).toBe(400);
    expect(seen).toEqual([]);
    expect(rows).toEqual([]);
  });

  it('refuses new requests while the gateway drains', async () => {
    const { service } = setUp({ draining: true });
    expect((await service.send(post({ to: 'bob', content: 'x' }))).status).toBe(503);
  });
});
