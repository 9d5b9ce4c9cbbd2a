/**
 * The gateway's own answer to `initialize`: it is the MCP server its clients talk to. Capabilities are the union of
 * what the backends announced; list_changed is always announced because the gateway itself changes the lists when a
 * backend comes or goes.
 */
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { BackendInfo } from '../upstream/handshake.js';

/** Picks the version to answer: the client's if we support it, else our latest (MCP lifecycle negotiation). */
export function negotiateProtocolVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** Union of the backends' capabilities, as the gateway announces them. */
export function mergeCapabilities(infos: readonly BackendInfo[]): Record<string, unknown> {
  const has = (key: string): boolean => infos.some((info) => key in info.capabilities);
  const subscribe = infos.some((info) => (info.capabilities.resources as { subscribe?: unknown } | undefined)?.subscribe === true);
  const capabilities: Record<string, unknown> = { tools: { listChanged: true } };
  if (has('prompts')) capabilities.prompts = { listChanged: true };
  if (has('resources')) capabilities.resources = { listChanged: true, ...(subscribe ? { subscribe: true } : {}) };
  if (has('logging')) capabilities.logging = {};
  if (has('completions')) capabilities.completions = {};
  return capabilities;
}

/** One backend's instructions as they are; several are labelled by backend. */
export function mergeInstructions(entries: readonly { backend: string; instructions: string | undefined }[]): string | undefined {
  const present = entries.filter((e): e is { backend: string; instructions: string } => !!e.instructions);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0]?.instructions;
  return present.map((e) => `## Backend "${e.backend}"\n${e.instructions}`).join('\n\n');
}
