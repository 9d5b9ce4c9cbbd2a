/**
 * Two real MCP servers from npm (server-everything and server-filesystem, both over stdio) behind one gateway, driven
 * by the real SDK client: namespacing, every MCP feature passing through transparently, and one audit row per call.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMessageRequestSchema, type Progress, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readAudit, requestRows } from '../helpers/audit.js';
import { expectCancellationSettles } from '../helpers/cancellation.js';
import { everythingStdio, filesystemStdio } from '../helpers/backends.js';
import { type ConnectedClient, connectClient, textOf } from '../helpers/client.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const SANDBOX_TEXT = 'hello from the sandbox\n';

let sandbox: string;
let gw: StartedGateway;
let conn: ConnectedClient;
let client: Client;
let tools: Tool[];

async function listAllTools(c: Client): Promise<Tool[]> {
  const all: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await c.listTools(cursor === undefined ? {} : { cursor });
    all.push(...result.tools);
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return all;
}

beforeAll(async () => {
  sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'portcullis-sandbox-')));
  writeFileSync(join(sandbox, 'hello.txt'), SANDBOX_TEXT);
  gw = await startGateway({ backends: { everything: everythingStdio(), files: filesystemStdio(sandbox) } });
  conn = await connectClient(gw.url);
  client = conn.client;
  tools = await listAllTools(client);
});

afterAll(async () => {
  await conn?.close();
  await gw?.stop();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

describe('aggregation of two stdio backends', () => {
  it('both backends are up', () => {
    const statuses = gw.gateway.backendStatuses();
    expect(statuses.get('everything')?.state).toBe('up');
    expect(statuses.get('files')?.state).toBe('up');
  });

  it('tools/list shows both backends’ tools, every name prefixed <backend>__', () => {
    const names = tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names).toContain('files__read_text_file');
    expect(names.filter((n) => n.startsWith('everything__')).length).toBeGreaterThan(3);
    expect(names.filter((n) => n.startsWith('files__')).length).toBeGreaterThan(3);
    for (const name of names) expect(name).toMatch(/^(everything|files)__[^_]/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('calls everything__echo', async () => {
    const result = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi through the gateway' },
    });
    expect(result.isError ?? false).toBe(false);
    expect(textOf(result)).toContain('hi through the gateway');
  });

  it('calls files__read_text_file inside the sandbox', async () => {
    const result = await client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(sandbox, 'hello.txt') },
    });
    expect(result.isError ?? false).toBe(false);
    expect(textOf(result)).toBe(SANDBOX_TEXT);
  });

  it('a backend’s own tool error passes through unchanged (no data.reason)', async () => {
    const result = await client.callTool({ name: 'files__read_text_file', arguments: { path: '/etc/passwd' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/denied|outside|not allowed/i);
  });

  it('a backend’s own JSON-RPC error passes through unchanged (its code, no data.reason)', async () => {
    // args-prompt requires `city`: the backend itself refuses with -32602.
    const error = await client.getPrompt({ name: 'everything__args-prompt', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e as { code?: number; data?: unknown },
    );
    expect(error?.code).toBe(-32602);
    expect((error?.data as { reason?: unknown } | undefined)?.reason).toBeUndefined();
  });

  it('prompts/list and prompts/get', async () => {
    const { prompts } = await client.listPrompts();
    const names = prompts.map((p) => p.name);
    expect(names).toContain('everything__simple-prompt');
    expect(names).toContain('everything__args-prompt');
    for (const name of names) expect(name).toMatch(/^(everything|files)__/);

    const simple = await client.getPrompt({ name: 'everything__simple-prompt' });
    expect(simple.messages.length).toBeGreaterThan(0);
    const withArgs = await client.getPrompt({
      name: 'everything__args-prompt',
      arguments: { city: 'Lisbon', state: 'Lisboa' },
    });
    expect(JSON.stringify(withArgs.messages)).toContain('Lisbon, Lisboa');
  });

  it('resources/list, then resources/read of a listed URI', async () => {
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0];
    if (!first) throw new Error('no resources listed');
    const read = await client.readResource({ uri: first.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    expect(read.contents[0]?.uri).toBe(first.uri);
  });

  it('resources/templates/list', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThan(0);
    for (const template of resourceTemplates) expect(typeof template.uriTemplate).toBe('string');
  });

  it('completion/complete on a completable prompt argument', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('everything__completable-prompt');
    expect(client.getServerCapabilities()?.completions).toBeDefined();
    const department = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    expect(department.completion.values).toEqual(['Engineering']);
    const member = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'name', value: '' },
      context: { arguments: { department: 'Sales' } },
    });
    expect(member.completion.values).toEqual(['David', 'Eve', 'Frank']);
  });

  it('logging/setLevel answers', async () => {
    expect(client.getServerCapabilities()?.logging).toBeDefined();
    await expect(client.setLoggingLevel('debug')).resolves.toEqual({});
  });

  it('ping answers', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });

  it('progress notifications of a long-running tool reach the client through onprogress', async () => {
    const tool = tools.find((t) => t.name === 'everything__trigger-long-running-operation');
    expect(tool).toBeDefined();
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['duration', 'steps']));

    const progress: Progress[] = [];
    const result = await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 15_000 },
    );
    expect(textOf(result)).toContain('Long running operation completed');
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    for (const p of progress) expect(p.total).toBe(3);
    // Each notification that crosses the gateway has its audit row.
    const relayed = (await readAudit(gw.dbPath, { backend: 'everything' })).filter(
      (r) => r.kind === 'notification' && r.method === 'notifications/progress' && r.detail === 'to_client',
    );
    expect(relayed.length).toBeGreaterThanOrEqual(3);
  });

  it('cancellation: an aborted call rejects quickly, the gateway settles it and keeps serving', async () => {
    await expectCancellationSettles(client, gw.dbPath);
    // ...and the gateway told the backend to stop working on it.
    const notices = await readAudit(gw.dbPath, { backend: 'everything' });
    expect(
      notices.some(
        (r) => r.kind === 'notification' && r.method === 'notifications/cancelled' && r.detail === 'to_backend',
      ),
    ).toBe(true);
  });

  it('sampling over the shared stdio backend is routed to the one client whose call caused it', async () => {
    const sampler = await connectClient(gw.url, { name: 'stdio-sampler', capabilities: { sampling: {} } });
    let asked = 0;
    sampler.client.setRequestHandler(CreateMessageRequestSchema, () => {
      asked++;
      return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: 'sampled over stdio' } };
    });
    try {
      const result = await sampler.client.callTool(
        { name: 'everything__trigger-sampling-request', arguments: { prompt: 'route me' } },
        undefined,
        { timeout: 15_000 },
      );
      expect(textOf(result)).toContain('sampled over stdio');
      expect(asked).toBe(1);
    } finally {
      await sampler.close();
    }
  });

  it('sampling for a client that did not declare the capability is refused, not hung', async () => {
    // The shared process serves many clients, so it offers the tool; the gateway refuses the request per client.
    const outcome = await client
      .callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'nobody to ask' } }, undefined, {
        timeout: 15_000,
      })
      .then((result) => ({ isError: result.isError === true, text: textOf(result) }))
      .catch((error: unknown) => ({ isError: true, text: String(error) }));
    expect(outcome.isError).toBe(true);
    expect(outcome.text).not.toContain('timed out');
  });

  it('several clients at once each get their own answers', async () => {
    const others = await Promise.all([
      connectClient(gw.url, { name: 'second' }),
      connectClient(gw.url, { name: 'third' }),
    ]);
    try {
      const answers = await Promise.all(
        [client, ...others.map((o) => o.client)].map((c, i) =>
          c.callTool({ name: 'everything__echo', arguments: { message: `client-${i}` } }),
        ),
      );
      answers.forEach((answer, i) => expect(textOf(answer)).toContain(`client-${i}`));
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });

  it('writes an audit row per call, with the backend and the original tool name', async () => {
    const echo = await requestRows(gw.dbPath, 'tools/call', { backend: 'everything', tool: 'echo' });
    expect(echo.length).toBeGreaterThanOrEqual(2);
    for (const row of echo) {
      expect(row.decision).toBe('allow');
      expect(row.forwarded).toBe(true);
      expect(row.agent).toBe('anonymous');
      expect(row.verified).toBe(false);
    }
    const read = await requestRows(gw.dbPath, 'tools/call', { backend: 'files', tool: 'read_text_file' });
    expect(read.length).toBeGreaterThanOrEqual(2);
    const prompt = await requestRows(gw.dbPath, 'prompts/get', { backend: 'everything', tool: 'args-prompt' });
    expect(prompt).toHaveLength(2);
    // The backend's own refusal is recorded with its code, and it is not a gateway denial.
    expect(prompt.find((r) => r.errorCode !== null)).toMatchObject({
      errorCode: -32602,
      decision: 'allow',
      reason: null,
      forwarded: true,
    });
    const resource = await requestRows(gw.dbPath, 'resources/read', { backend: 'everything' });
    expect(resource).toHaveLength(1);
    const none = await requestRows(gw.dbPath, 'tools/call', { tool: 'everything__echo' });
    expect(none).toHaveLength(0);
  });
});
