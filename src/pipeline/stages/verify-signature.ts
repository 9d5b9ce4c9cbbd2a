// Threat: a caller acting as an agent it cannot prove to be — forged, altered, stale or replayed requests, revoked
// keys, and a session opened by one agent used by another. Fails closed with one answer for every failure.
import type { KeyLookup } from '../../identity/key-state.js';
import type { NonceCache } from '../../identity/nonce-cache.js';
import { verifyRequest } from '../../identity/verify.js';
import type { Stage, Verdict } from '../types.js';

export interface SignatureOptions {
  /** `identity.require_signature`: when false, unsigned callers pass as unverified (onboarding mode). */
  readonly requireSignature: boolean;
  readonly maxClockSkewS: number;
}

export interface SignatureDeps {
  /** The current keys (the key directory is reloaded when its files change). */
  readonly keys: () => KeyLookup;
  readonly nonces: NonceCache;
  /** When the gateway started: signatures created earlier are refused (no replay across a restart). */
  readonly startedAt: number;
  readonly now?: () => number;
}

/** Every failure is this one answer: the client never learns which check failed; the audit log does. */
const refuse = (detail: string): Verdict => ({ kind: 'deny', reason: 'bad_signature', detail });

/** `verify-signature` (DESIGN.md §4 "Request signatures"). */
export function createSignatureStage(options: SignatureOptions, deps: SignatureDeps): Stage {
  const now = deps.now ?? Date.now;
  return {
    name: 'verify-signature',
    check(ctx) {
      const signed = 'signature' in ctx.headers || 'signature-input' in ctx.headers;
      if (!signed) return options.requireSignature ? refuse('unsigned request') : { kind: 'continue' };
      if (!ctx.http) return refuse('no HTTP request to verify');
      const url = new URL(ctx.http.url);
      const result = verifyRequest(
        { method: ctx.http.method, authority: url.host, path: url.pathname, query: url.search, headers: ctx.headers, body: ctx.http.body },
        { keys: deps.keys(), now: now(), startedAt: deps.startedAt, maxClockSkewS: options.maxClockSkewS, nonces: deps.nonces },
      );
      if (!result.ok) return refuse(result.reason);
      // `facts.agent` is who the request claims to be: the session's agent on /mcp (a session belongs to the agent
      // that opened it, DESIGN.md §1), the keyid or X-Portcullis-Agent on /v1/messages. The signer must be that agent.
      if (ctx.method !== 'initialize' && result.agent !== ctx.facts.agent) {
        return refuse(`request claimed by ${ctx.facts.agent} but signed by ${result.agent}`);
      }
      return { kind: 'continue', facts: { agent: result.agent, verified: true } };
    },
  };
}
