/**
 * The gateway's identity parts, built once: the live key directory, the nonce cache, the start time, and the check
 * of bodiless session requests (GET stream, DELETE) that never reach the pipeline.
 */
import type { Config } from './config/schema.js';
import { type KeyDirectory, openKeyDirectory } from './identity/key-directory.js';
import { keyLookupFromDir } from './identity/key-state.js';
import { createNonceCache } from './identity/nonce-cache.js';
import { verifyRequest } from './identity/verify.js';
import type { ClientSession } from './mcp/client-session.js';
import type { Logger } from './observability/logger.js';
import type { SignatureDeps } from './pipeline/stages/verify-signature.js';

export interface GatewayIdentity {
  readonly signatureDeps: SignatureDeps;
  /** Loads the key directory and starts watching it. */
  open(): Promise<void>;
  close(): void;
  authorizeSessionRequest(request: Request, session: ClientSession, config: Config): boolean;
}

const NO_KEYS = keyLookupFromDir(new Map());

export function createGatewayIdentity(
  keysDir: string,
  logger: Logger,
  onKeysLoaded: (agents: readonly string[], problems: readonly string[]) => void,
): GatewayIdentity {
  let directory: KeyDirectory | undefined;
  const signatureDeps: SignatureDeps = {
    keys: () => directory?.current() ?? NO_KEYS,
    nonces: createNonceCache(),
    startedAt: Date.now(),
  };
  return {
    signatureDeps,
    async open() {
      directory = await openKeyDirectory({
        dir: keysDir,
        onLoad: (agents, problems) => {
          const lines = problems.map((p) => `${p.file}: ${p.reason}`);
          for (const line of lines) logger.warn('key file refused', { problem: line });
          logger.info('agent keys loaded', { agents: agents.length });
          onKeysLoaded(agents, lines);
        },
      });
    },
    close: () => directory?.close(),
    authorizeSessionRequest(request, session, config) {
      const signed = request.headers.has('signature') || request.headers.has('signature-input');
      if (!signed) return !config.identity.require_signature && !session.verified;
      const url = new URL(request.url);
      const result = verifyRequest(
        {
          method: request.method,
          authority: url.host,
          path: url.pathname,
          query: url.search,
          headers: Object.fromEntries(request.headers.entries()),
          body: '',
        },
        {
          keys: signatureDeps.keys(),
          now: Date.now(),
          startedAt: signatureDeps.startedAt,
          maxClockSkewS: config.identity.max_clock_skew_s,
          nonces: signatureDeps.nonces,
        },
      );
      if (!result.ok) logger.info('session request refused', { session: session.id, reason: result.reason });
      return result.ok && result.agent === session.agent;
    },
  };
}
