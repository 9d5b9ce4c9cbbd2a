/**
 * /healthz on the public listener, and the admin listener: /metrics behind a bearer token from `admin.tokens`, and no
 * admin listener at all when no token is configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.js';
import { createSilentLogger } from '../../src/observability/logger.js';
import { fixtureStdio, freePort } from '../helpers/backends.js';
import { connectClient, textOf } from '../helpers/client.js';
import { type StartedGateway, buildTestConfig, startGateway, waitUntil } from '../helpers/start-gateway.js';

const OPS_TOKEN = 'ops-token-0123456789abcdef';
const AUDITOR_TOKEN = 'auditor-token-fedcba9876543210';

let withAdmin: StartedGateway;
let withoutAdmin: StartedGateway;
let unusedAdminPort: number;

beforeAll(async () => {
  unusedAdminPort = await freePort();
  [withAdmin, withoutAdmin] = await Promise.all([
    startGateway({
      backends: { fx: fixtureStdio('flaky-server.mjs') },
      yaml: `admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${OPS_TOKEN}", auditor: "${AUDITOR_TOKEN}" } }`,
      gatewayOptions: { configFile: '/etc/portcullis/test.yaml' },
    }),
    startGateway({ backends: { fx: fixtureStdio('flaky-server.mjs') }, yaml: `admin: { port: ${unusedAdminPort} }` }),
  ]);
});

afterAll(async () => {
  await Promise.all([withAdmin?.stop(), withoutAdmin?.stop()]);
});

async function metrics(authorization?: string): Promise<Response> {
  if (!withAdmin.gateway.adminUrl) throw new Error('no admin listener');
  return fetch(`${withAdmin.gateway.adminUrl}/metrics`, { headers: authorization ? { authorization } : {} });
}

describe('/healthz', () => {
  it('answers 200 with status, backends and config', async () => {
    const response = await fetch(`${withAdmin.origin}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'ok',
      backends: { fx: { state: 'up', since: expect.any(String), tools: 4 } },
      config: { file: '/etc/portcullis/test.yaml', loaded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      rules: { loaded: 0 },
      guards: { active: [], benched: [] },
    });
    const since = (body.backends as { fx: { since: string } }).fx.since;
    expect(new Date(since).toISOString()).toBe(since);
  });

  it('unknown paths on the public listener are 404', async () => {
    const response = await fetch(`${withAdmin.origin}/no-such-path`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});

describe('/healthz while a backend is still starting', () => {
  it('answers 503 "starting" until every backend has been attempted, then 200', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
    const config = buildTestConfig(dir, {
      backends: { sluggish: fixtureStdio('flaky-server.mjs', { env: { FIXTURE_START_DELAY_MS: '2000' } }) },
    });
    const gateway = createGateway(config, { logger: createSilentLogger() });
    const starting = gateway.start();
    try {
      await waitUntil(() => gateway.url !== '', 10_000, 'the public listener');
      const early = await fetch(`${new URL(gateway.url).origin}/healthz`);
      expect(early.status).toBe(503);
      expect(await early.json()).toMatchObject({ status: 'starting', backends: { sluggish: { state: 'starting' } } });
      await starting;
      const ready = await fetch(`${new URL(gateway.url).origin}/healthz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', backends: { sluggish: { state: 'up', tools: 4 } } });
    } finally {
      await starting.catch(() => undefined);
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the admin listener with admin.tokens', () => {
  it('listens on its own port', () => {
    expect(withAdmin.gateway.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(withAdmin.gateway.adminUrl ?? '').port).not.toBe(new URL(withAdmin.url).port);
  });

  it('serves Prometheus text at /metrics with a valid token, counting calls (without their arguments)', async () => {
    const conn = await connectClient(withAdmin.url);
    try {
      const result = await conn.client.callTool({ name: 'fx__ok', arguments: { secret: 'do-not-put-me-in-metrics' } });
      expect(textOf(result)).toBe('ok');
    } finally {
      await conn.close();
    }
    for (const token of [OPS_TOKEN, AUDITOR_TOKEN]) {
      const response = await metrics(`Bearer ${token}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/^# TYPE portcullis_requests_total counter$/m);
      expect(text).toMatch(/^portcullis_requests_total\{method="tools\/call",decision="allow"\} [1-9]\d*$/m);
      expect(text).toMatch(/^portcullis_backend_up\{backend="fx"\} 1$/m);
      expect(text).not.toContain('do-not-put-me-in-metrics');
    }
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer wrong-token-0123456789abcdef'],
    ['a prefix of the right token', `Bearer ${OPS_TOKEN.slice(0, -1)}`],
    ['the token without "Bearer"', OPS_TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`ops:${OPS_TOKEN}`).toString('base64')}`],
  ])('answers 401 to %s', async (_label, authorization) => {
    const response = await metrics(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const text = await response.text();
    expect(text).not.toContain('portcullis_requests_total');
  });

  it('checks the token before routing: an unknown admin path is 401 without a token, 404 with one', async () => {
    const base = withAdmin.gateway.adminUrl ?? '';
    const anonymous = await fetch(`${base}/v1/no-such-route`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const authorized = await fetch(`${base}/v1/no-such-route`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(authorized.status).toBe(404);
    await authorized.body?.cancel();
  });

  it('is not the public listener: /metrics there is 404', async () => {
    const response = await fetch(`${withAdmin.origin}/metrics`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});

describe('without admin.tokens', () => {
  it('there is no admin listener: adminUrl is undefined and the configured port is closed', async () => {
    expect(withoutAdmin.gateway.adminUrl).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${unusedAdminPort}/metrics`)).rejects.toThrow();
    const health = await fetch(`${withoutAdmin.origin}/healthz`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
  });
});
