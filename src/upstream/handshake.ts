/** The MCP initialize handshake the gateway performs, as a client, with each backend session. */
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamChannel } from './channel.js';

/** What a backend told us about itself in `initialize`. */
export interface BackendInfo {
  readonly protocolVersion: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly serverInfo: Readonly<{ name: string; version: string }>;
  readonly instructions: string | undefined;
}

export interface HandshakeOptions {
  readonly clientInfo: { name: string; version: string };
  readonly capabilities: Record<string, unknown>;
  readonly protocolVersion?: string;
  readonly timeoutMs: number;
}

/** Result of a handshake, as a value: a backend that answers garbage is `failed`, never a throw. */
export type HandshakeResult = { readonly ok: true; readonly info: BackendInfo } | { readonly ok: false; readonly detail: string };

/** Sends `initialize` then `notifications/initialized`. */
export async function performHandshake(channel: UpstreamChannel, options: HandshakeOptions): Promise<HandshakeResult> {
  const outcome = await channel.request(
    'initialize',
    {
      protocolVersion: options.protocolVersion ?? LATEST_PROTOCOL_VERSION,
      capabilities: options.capabilities,
      clientInfo: options.clientInfo,
    },
    { timeoutMs: options.timeoutMs },
  );
  if (outcome.kind === 'unavailable') return { ok: false, detail: outcome.detail };
  if (outcome.kind === 'cancelled') return { ok: false, detail: 'initialize cancelled' };
  if ('error' in outcome.answer) return { ok: false, detail: `initialize failed: ${outcome.answer.error.message}` };
  const result = outcome.answer.result;
  const version = result.protocolVersion;
  if (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return { ok: false, detail: `unsupported protocol version ${JSON.stringify(version)}` };
  }
  const serverInfo = result.serverInfo as { name?: unknown; version?: unknown } | undefined;
  const info: BackendInfo = {
    protocolVersion: version,
    capabilities: isRecord(result.capabilities) ? result.capabilities : {},
    serverInfo: { name: String(serverInfo?.name ?? 'unknown'), version: String(serverInfo?.version ?? '') },
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
  await channel.notify('notifications/initialized');
  return { ok: true, info };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
