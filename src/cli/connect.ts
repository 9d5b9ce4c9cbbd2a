/**
 * `portcullis connect --agent NAME --key FILE URL`: a stdio MCP server that signs every request as NAME and forwards
 * it to the gateway, so clients that only speak stdio (Claude Desktop, Cursor) get an identity without code.
 */
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AGENT_NAME, isAgentName } from '../identity/key-files.js';
import { readPrivateKeyFile } from '../identity/keys.js';
import { createSigningFetch } from '../identity/signer.js';
import { parseCommandArgs } from './args.js';
import { createErrorCapturingFetch } from './connect/gateway-errors.js';
import { createMessagePump } from './connect/message-pump.js';
import { type CliIo, EXIT, UsageError } from './io.js';

export const CONNECT_HELP = `Usage: portcullis connect --agent NAME --key FILE URL

A stdio MCP server for clients that cannot sign requests themselves (Claude Desktop, Cursor, …): every JSON-RPC
message from the client goes to the gateway at URL signed as agent NAME, and every message from the gateway goes
back to the client, unchanged. stdout carries only JSON-RPC; diagnostics go to stderr.

Options:
  --agent NAME    the agent to sign as (the gateway must have NAME.pub in identity.keys_dir)
  --key FILE      the agent's private key (NAME.key from portcullis keygen; PKCS#8 PEM, keep it mode 0600)
  -h, --help      show this help
  URL             the gateway's MCP endpoint, http(s)://HOST:PORT/mcp

If the gateway is down or refuses a request, that request gets a JSON-RPC error (the gateway's own, or -32603
"gateway unreachable") and connect keeps running, so the client may start before the gateway. When the client
closes stdin, or on SIGTERM, connect ends the gateway session (HTTP DELETE) and exits 0. Exit 1: the key file is
unreadable or not an Ed25519 private key; exit 2: bad arguments.

Claude Desktop (claude_desktop_config.json; macOS: ~/Library/Application Support/Claude/,
Windows: %APPDATA%\\Claude\\):
  {"mcpServers": {"portcullis": {"command": "npx", "args": ["portcullis", "connect", "--agent", "desktop", "--key", "/path/desktop.key", "http://127.0.0.1:8080/mcp"]}}}

Cursor (~/.cursor/mcp.json, or .cursor/mcp.json in a project):
  {"mcpServers": {"portcullis": {"command": "npx", "args": ["portcullis", "connect", "--agent", "cursor", "--key", "/path/cursor.key", "http://127.0.0.1:8080/mcp"]}}}

Without npx, use "command": "node" and put the path of portcullis/bin/portcullis.js first in "args".
`;

export interface ConnectHooks {
  /** The client's side of the pipe (default process.stdin / process.stdout). */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Resolves when connect should stop (default: SIGTERM or SIGINT); stdin's end always stops it. */
  readonly stopSignal?: Promise<void>;
}

interface ConnectTarget {
  readonly agent: string;
  readonly keyFile: string;
  readonly url: URL;
}

export async function runConnect(argv: readonly string[], io: CliIo, hooks: ConnectHooks = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { agent: { type: 'string' }, key: { type: 'string' } }, 1);
  if (values.help) return (io.out(CONNECT_HELP), EXIT.ok);
  const target = checkArguments(values, positionals);
  const log = (line: string): void => io.err(`portcullis connect: ${line}\n`);
  const key = await readPrivateKeyFile(target.keyFile);
  if (!key.ok) return (log(key.problem), EXIT.userError);
  for (const warning of await warningsFor(target)) log(`warning: ${warning}`);

  const capturing = createErrorCapturingFetch(createSigningFetch({ agent: target.agent, privateKey: key.key.seed }));
  const stdin = hooks.stdin ?? process.stdin;
  const stdout = hooks.stdout ?? process.stdout;
  const pump = createMessagePump({
    client: new StdioServerTransport(stdin, stdout),
    gateway: new StreamableHTTPClientTransport(target.url, { fetch: capturing.fetch }),
    gatewayUrl: target.url.href,
    takeGatewayError: (id) => capturing.take(id),
    log,
  });
  const stop = waitForStop(stdin, stdout, hooks.stopSignal);
  try {
    await pump.start();
    log(`forwarding stdio to ${target.url.href} as agent ${target.agent} (key ${key.key.publicKey.fingerprint})`);
    await stop.promise;
  } finally {
    stop.dispose();
    await pump.stop();
  }
  return EXIT.ok;
}

function checkArguments(values: Record<string, unknown>, positionals: readonly string[]): ConnectTarget {
  const { agent, key } = values;
  if (typeof agent !== 'string') throw new UsageError('--agent NAME is required');
  if (!isAgentName(agent)) throw new UsageError(`invalid agent name ${JSON.stringify(agent)} (${AGENT_NAME.source})`);
  if (typeof key !== 'string' || key === '') throw new UsageError('--key FILE is required');
  const [text] = positionals;
  if (text === undefined) throw new UsageError('the gateway URL is required, e.g. http://127.0.0.1:8080/mcp');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the gateway URL must be http(s): ${text}`);
  // fetch refuses such URLs on every request; saying so now is clearer. Signatures replace credentials here.
  if (url.username !== '' || url.password !== '') throw new UsageError('the gateway URL must not contain a user or password');
  return { agent, keyFile: key, url };
}

/** Not fatal, but a careful user wants to know: a key others can read, tool traffic in clear text over a network. */
async function warningsFor(target: ConnectTarget): Promise<string[]> {
  const warnings: string[] = [];
  const mode = (await stat(target.keyFile).catch(() => undefined))?.mode ?? 0;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warnings.push(`${target.keyFile} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  if (target.url.protocol === 'http:' && !isLoopbackHost(target.url.hostname)) {
    warnings.push(`${target.url.host} is not loopback and the URL is http: calls and results travel unencrypted (use https)`);
  }
  return warnings;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Resolves on the stop signal (default SIGTERM/SIGINT), the end of stdin, or a broken stdout (the client is gone). */
function waitForStop(
  stdin: Readable,
  stdout: Writable,
  stopSignal: Promise<void> | undefined,
): { promise: Promise<void>; dispose: () => void } {
  let done = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onSignal = (): void => done();
  stdin.once('end', onSignal);
  stdin.once('close', onSignal);
  stdout.on('error', onSignal);
  if (stopSignal) {
    void stopSignal.then(onSignal);
  } else {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return {
    promise,
    dispose() {
      stdin.off('end', onSignal);
      stdin.off('close', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A write after the client went away must not crash the process on an unhandled 'error'.
      stdout.off('error', onSignal);
      stdout.on('error', () => undefined);
    },
  };
}
