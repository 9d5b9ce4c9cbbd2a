/**
 * The agent a /v1/messages request claims to come from, before anything is verified: the pipeline's starting
 * `facts.agent`. A signed request claims the keyid of the signature the verifier will check (the first label whose
 * keyid names an agent with keys, as identity/verify.ts chooses); the verify-signature stage then refuses the request
 * unless that signature verifies as exactly this agent, so a claim can never make a request pass, only fail.
 * An unsigned request (onboarding mode) claims `X-Portcullis-Agent`, or `anonymous`, exactly as on /mcp.
 */
import { isAgentName } from '../identity/key-files.js';
import type { KeyLookup } from '../identity/key-state.js';
import { parseSignatureHeaders } from '../identity/signature-base.js';

export const ANONYMOUS = 'anonymous';

export type Claim = { readonly ok: true; readonly agent: string } | { readonly ok: false };

/** The claimed agent; not ok only for an unsigned request whose X-Portcullis-Agent is not an agent name. */
export function claimAgent(headers: Readonly<Record<string, string>>, keys: KeyLookup): Claim {
  const input = headers['signature-input'];
  const signature = headers['signature'];
  if (input !== undefined || signature !== undefined)
    return { ok: true, agent: signerOf(input ?? '', signature ?? '', keys) };
  const named = headers['x-portcullis-agent'];
  if (named === undefined) return { ok: true, agent: ANONYMOUS };
  return isAgentName(named) ? { ok: true, agent: named } : { ok: false };
}

function signerOf(input: string, signature: string, keys: KeyLookup): string {
  const parsed = parseSignatureHeaders(input, signature);
  // Malformed or unknown: the verifier will refuse it whatever is claimed; the audit row names no one.
  if (!parsed.ok) return ANONYMOUS;
  const known = parsed.value.find((c) => c.keyid !== undefined && (keys.lookup(c.keyid)?.keys.length ?? 0) > 0);
  const keyid = known?.keyid ?? parsed.value.find((c) => c.keyid !== undefined)?.keyid;
  return keyid !== undefined && isAgentName(keyid) ? keyid : ANONYMOUS;
}
