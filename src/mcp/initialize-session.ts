/** Answers a client's `initialize` and remembers what the client told us about itself. */
import type { ClientSession } from './client-session.js';
import { mergeCapabilities, mergeInstructions, negotiateProtocolVersion } from './initialize.js';
import type { Answer } from './jsonrpc.js';
import type { RouterContext } from './router-context.js';

export function initializeSession(ctx: RouterContext, session: ClientSession, params: Record<string, unknown>): Answer {
  const clientInfo = params.clientInfo as { name?: unknown; version?: unknown } | undefined;
  session.clientInfo = { name: String(clientInfo?.name ?? 'unknown').slice(0, 200), version: String(clientInfo?.version ?? '').slice(0, 100) };
  session.clientCapabilities = isRecord(params.capabilities) ? params.capabilities : {};
  session.protocolVersion = negotiateProtocolVersion(params.protocolVersion);
  const up = [...ctx.backends.values()].filter((b) => b.info() !== undefined);
  // Instructions go into the client's model context: those the rules flag are withheld.
  const instructions = mergeInstructions(
    up.map((b) => {
      const text = b.info()?.instructions;
      const shown = text !== undefined && !ctx.screen.instructions(b.id, text, session.agent).blocked;
      return { backend: b.id, instructions: shown ? text : undefined };
    }),
  );
  return {
    result: {
      protocolVersion: session.protocolVersion,
      capabilities: mergeCapabilities(up.map((b) => b.info()).filter((i) => i !== undefined)),
      serverInfo: ctx.gatewayInfo,
      ...(instructions ? { instructions } : {}),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
