/**
 * Live config reload: saving the config file applies it without a restart or dropped sessions; a broken edit keeps
 * the running config, and says why in /healthz and the audit log, with file:line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createSilentLogger } from '../../src/observability/logger.js';
import { readAudit } from '../helpers/audit.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { waitUntil } from '../helpers/start-gateway.js';

const REPO = join(import.meta.dirname, '..', '..');
const EVERYTHING = join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let dir: string;
let file: string;
let gateway: Gateway;
let client: ConnectedClient;

const yaml = (mode: string, extra = ''): string => `
server: { host: 127.0.0.1, port: 0 }
identity: { require_signature: false, keys_dir: ${JSON.stringify(join(REPO, 'keys'))} }
default_policy: allow
mode: ${mode}
storage: { sqlite: ./audit.db }
rules: { dirs: [${JSON.stringify(join(REPO, 'rules'))}] }
guards: { dir: ${JSON.stringify(join(REPO, 'guards'))} }
backends:
  everything: { transport: stdio, command: node, args: [${JSON.stringify(EVERYTHING)}, stdio] }
${extra}`;

async function health(): Promise<{ config: { last_reload?: { status: string; problems?: string[]; pending_restart?: string[] } } }> {
  const response = await fetch(gateway.url.replace(/\/mcp$/, '/healthz'));
  return (await response.json()) as never;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
  file = join(dir, 'portcullis.yaml');
  const text = yaml('enforce');
  writeFileSync(file, text);
  const loaded = parseConfigText(text, file, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  gateway = createGateway(loaded.config, { logger: createSilentLogger(), configFile: file, watch: { env: {}, text } });
  await gateway.start();
  client = await connectClient(gateway.url);
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live config reload', () => {
  it('applies an edit without a restart and keeps the session working', async () => {
    writeFileSync(file, yaml('observe'));
    await waitUntil(() => gateway.currentConfig().mode === 'observe', 10_000, 'the edit to apply');
    expect((await health()).config.last_reload?.status).toBe('applied');
    const result = await client.client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    expect(JSON.stringify(result)).toContain('still here');
  });

  it('keeps the running config on a broken edit and reports it with file:line', async () => {
    writeFileSync(file, `${yaml('enforce')}\nmoed: typo\n`);
    await waitUntil(async () => (await health()).config.last_reload?.status === 'rejected', 10_000, 'the broken edit to be reported');
    const report = (await health()).config.last_reload;
    expect(report?.problems?.join('\n')).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: .*moed`));
    expect(gateway.currentConfig().mode).toBe('observe');
    const result = await client.client.callTool({ name: 'everything__echo', arguments: { message: 'after typo' } });
    expect(JSON.stringify(result)).toContain('after typo');
  });

  it('applies an edit to the quarantine settings without a restart', async () => {
    writeFileSync(file, yaml('enforce', 'quarantine: { elicitation: true, hold_s: 5 }'));
    await waitUntil(async () => gateway.currentConfig().quarantine.hold_s === 5, 10_000, 'the quarantine edit to apply');
    expect(gateway.currentConfig().quarantine.elicitation).toBe(true);
    expect((await health()).config.last_reload?.status).toBe('applied');
  });

  it('says which edited sections wait for a restart', async () => {
    writeFileSync(file, yaml('enforce').replace('port: 0', 'port: 0, max_body_bytes: 1000'));
    await waitUntil(async () => (await health()).config.last_reload?.pending_restart?.includes('server') === true, 10_000, 'the edit to apply');
    expect((await health()).config.last_reload?.pending_restart).toEqual(['server']);
    expect(gateway.currentConfig().server.max_body_bytes).toBe(4_194_304);
    expect(gateway.currentConfig().mode).toBe('enforce');
  });

  it('records every reload and rejection in the audit log', async () => {
    await waitUntil(
      async () => {
        const methods = (await readAudit(join(dir, 'audit.db'))).map((row) => row.method);
        return methods.includes('config.reload') && methods.includes('config.rejected');
      },
      10_000,
      'the reload events in the audit log',
    );
    expect(readFileSync(file, 'utf8')).toContain('max_body_bytes');
  });
});
