/**
 * The YAML policy (DESIGN.md §4): default deny, allow/deny globs over <backend>/<name> (deny wins), lists showing a
 * caller only what it may use, the same error for a forbidden and an unknown tool, suspension, per-agent rate limits
 * with retry_after_ms, and a policy edit taking effect without a restart. Callers are unsigned here (onboarding mode:
 * the name in X-Portcullis-Agent is the agent).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createSilentLogger } from '../../src/observability/logger.js';
import { EVERYTHING_SERVER, REPO_ROOT } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { waitUntil } from '../helpers/start-gateway.js';

const POLICY = `
agents:
  reader:
    allow: ["everything/echo", "prompt:everything/simple-prompt"]
  writer:
    allow: ["everything/*"]
    deny: ["everything/get-env"]
  limited:
    allow: ["everything/echo"]
    rate_limit: { requests: 3, window_s: 60 }
  frozen:
    allow: ["everything/*"]
    suspended: true
`;

let dir: string;
let file: string;
let gateway: Gateway;
const clients: ConnectedClient[] = [];

const configText = (policy: string): string => `
server: { host: 127.0.0.1, port: 0 }
identity: { require_signature: false, keys_dir: ${JSON.stringify(join(REPO_ROOT, 'keys'))} }
default_policy: deny
storage: { sqlite: ./audit.db }
rules: { dirs: [${JSON.stringify(join(REPO_ROOT, 'rules'))}] }
guards: { dir: ${JSON.stringify(join(REPO_ROOT, 'guards'))} }
backends:
  everything: { transport: stdio, command: node, args: [${JSON.stringify(EVERYTHING_SERVER)}, stdio] }
${policy}`;

async function as(agent: string | undefined): Promise<ConnectedClient> {
  const conn = await connectClient(gateway.url, { headers: agent ? { 'x-portcullis-agent': agent } : {} });
  clients.push(conn);
  return conn;
}

async function callError(conn: ConnectedClient, name: string): Promise<{ code: number; data: Record<string, unknown> } | undefined> {
  try {
    await conn.client.callTool({ name, arguments: name.endsWith('echo') ? { message: 'x' } : { a: 1, b: 2 } });
    return undefined;
  } catch (error) {
    const e = error as { code: number; data: Record<string, unknown> };
    return { code: e.code, data: e.data };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-policy-'));
  file = join(dir, 'portcullis.yaml');
  const text = configText(POLICY);
  writeFileSync(file, text);
  const loaded = parseConfigText(text, file, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  gateway = createGateway(loaded.config, { logger: createSilentLogger(), configFile: file, watch: { env: {}, text } });
  await gateway.start();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('access control', () => {
  it('lists show a caller only what its policy allows', async () => {
    const reader = await as('reader');
    expect((await reader.client.listTools()).tools.map((t) => t.name)).toEqual(['everything__echo']);
    expect((await reader.client.listPrompts()).prompts.map((p) => p.name)).toEqual(['everything__simple-prompt']);
    const writer = await as('writer');
    const names = (await writer.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('everything__get-sum');
    expect(names).not.toContain('everything__get-env');
  });

  it('an allowed call passes; a forbidden one and an unknown one get the same -32083', async () => {
    const reader = await as('reader');
    expect(await callError(reader, 'everything__echo')).toBeUndefined();
    const forbidden = await callError(reader, 'everything__get-sum');
    const unknown = await callError(reader, 'everything__no-such-tool');
    expect(forbidden).toEqual({ code: -32083, data: { reason: 'acl_denied' } });
    expect(unknown).toEqual(forbidden);
  });

  it('deny wins over allow', async () => {
    const writer = await as('writer');
    expect(await callError(writer, 'everything__get-sum')).toBeUndefined();
    expect(await callError(writer, 'everything__get-env')).toEqual({ code: -32083, data: { reason: 'acl_denied' } });
  });

  it('an agent the policy does not name gets default_policy: deny', async () => {
    const anonymous = await as(undefined);
    expect((await anonymous.client.listTools()).tools).toEqual([]);
    expect(await callError(anonymous, 'everything__echo')).toEqual({ code: -32083, data: { reason: 'acl_denied' } });
  });

  it('an agent suspended in the YAML is refused with -32082, from initialize on', async () => {
    await expect(as('frozen')).rejects.toMatchObject({ code: -32082 });
  });

  it('a per-agent rate limit answers -32029 with retry_after_ms', async () => {
    const limited = await as('limited');
    for (let i = 0; i < 3; i++) expect(await callError(limited, 'everything__echo')).toBeUndefined();
    const error = await callError(limited, 'everything__echo');
    expect(error?.code).toBe(-32029);
    expect(error?.data.reason).toBe('rate_limited');
    expect(error?.data.retry_after_ms).toBeGreaterThan(0);
    // The two-bucket sliding window may ask for up to ~1.33 windows (it spreads the previous window's calls evenly).
    expect(error?.data.retry_after_ms).toBeLessThanOrEqual(120_000);
  });

  it('a policy edit applies live to the next call, without a restart', async () => {
    const reader = await as('reader');
    expect(await callError(reader, 'everything__get-sum')).toMatchObject({ code: -32083 });
    writeFileSync(file, configText(POLICY.replace('allow: ["everything/echo", ', 'allow: ["everything/echo", "everything/get-sum", ')));
    await waitUntil(() => gateway.currentConfig().agents.reader?.allow.includes('everything/get-sum') === true, 10_000, 'the policy edit');
    expect(await callError(reader, 'everything__get-sum')).toBeUndefined();
  });

  it('a broken glob in an edit keeps the running policy', async () => {
    writeFileSync(file, configText(POLICY.replace('deny: ["everything/get-env"]', 'deny: ["get-env-without-backend"]')));
    await waitUntil(
      async () => {
        const health = (await (await fetch(gateway.url.replace(/\/mcp$/, '/healthz'))).json()) as {
          config: { last_reload?: { status: string; problems?: string[] } };
        };
        return health.config.last_reload?.problems?.some((p) => /:\d+:\d+: agents\.writer\.deny\[0\]/.test(p)) === true;
      },
      10_000,
      'the broken glob to be reported with its line',
    );
    const writer = await as('writer');
    expect(await callError(writer, 'everything__get-env')).toMatchObject({ code: -32083 });
  });
});
