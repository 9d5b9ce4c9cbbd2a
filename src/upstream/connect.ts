/**
 * Opens transports to backends: a child process over stdio, or a Streamable HTTP session. Client credentials never
 * reach here: an HTTP backend gets exactly the headers its config names, a process gets only its configured env on
 * top of the SDK's safe default environment (PATH, HOME, …), never the gateway's own environment.
 */
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Agent } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { HttpBackendConfig, StdioBackendConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createHttpClientTransport } from './http-transport.js';

/** A transport plus what the backend needs to finish it (HTTP: the negotiated version; both: a clean close). */
export interface OpenedTransport {
  readonly transport: Transport;
  /** Tells the transport the negotiated protocol version (HTTP sends it as a header). */
  setProtocolVersion(version: string): void;
  /** Ends the backend session politely (HTTP DELETE), then closes. */
  shutdown(): Promise<void>;
  /** The last lines the process wrote to stderr, for error messages. */
  recentStderr(): string;
}

const STDERR_LINES_KEPT = 20;
const STDERR_LINE_CHARS = 500;

/** Spawns a stdio backend process. Its stderr goes to the log (debug) and the last lines are kept for errors. */
export function openStdioTransport(config: StdioBackendConfig, logger: Logger): OpenedTransport {
  const transport = new StdioClientTransport({
    command: config.command,
    args: [...config.args],
    env: { ...getDefaultEnvironment(), ...config.env },
    cwd: config.cwd,
    stderr: 'pipe',
  });
  const recent: string[] = [];
  let partial = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = (lines.pop() ?? '').slice(-STDERR_LINE_CHARS);
    for (const raw of lines) {
      const line = raw.slice(0, STDERR_LINE_CHARS);
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > STDERR_LINES_KEPT) recent.shift();
      logger.debug('backend stderr', { line });
    }
  });
  return {
    transport,
    setProtocolVersion: () => undefined,
    shutdown: () => transport.close(),
    recentStderr: () => recent.slice(-3).join(' | '),
  };
}

/** Largest answer read from an HTTP backend; beyond it the call fails as unavailable. */
export const MAX_BACKEND_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Prepares a Streamable HTTP backend session (nothing is sent until the first message). */
export function openHttpTransport(config: HttpBackendConfig, agent: Agent): OpenedTransport {
  const transport = createHttpClientTransport(new URL(config.url), {
    headers: config.headers,
    agent,
    maxResponseBytes: MAX_BACKEND_RESPONSE_BYTES,
  });
  return {
    transport,
    setProtocolVersion: (version) => transport.setProtocolVersion(version),
    shutdown: async () => {
      await transport.terminateSession().catch(() => undefined);
      await transport.close();
    },
    recentStderr: () => '',
  };
}
