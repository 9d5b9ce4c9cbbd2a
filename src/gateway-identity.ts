/**
 * The gateway's identity parts, built once: the live key directory, the nonce cache, the start time, and the check
 * of bodiless session requests (GET stream, DELETE) that never reach the pipeline.
 */
import type { Config } from './config/schema.js';
import { type KeyDirectory, openKeyDirectory } from './identity/key-directory.js';
import { buildKeyLookup } from './identity/key-registry.js';
import { type KeyLookup, keyLookupFromDir } from './identity/key-state.js';
import { createNonceCache } from './identity/nonce-cache.js';
import { verifyRequest } from './identity/verify.js';
import type { ClientSession } from './mcp/client-session.js';
import type { Logger } from './observability/logger.js';
import type { SignatureDeps } from './pipeline/stages/verify-signature.js';
import type { KeyStateStore } from './store/key-state-store.js';

export interface GatewayIdentity {
  readonly signatureDeps: SignatureDeps;
  /** Loads the key directory and starts watching it. */
  open(): Promise<void>;
  /** Agents with a key file. */
  agents(): string[];
  /** Re-reads the key files and the stored key state (after a rotation or revocation). */
  refresh(): Promise<void>;
  close(): void;
  authorizeSessionRequest(request: Request, session: ClientSession, config: Config, addressedUrl: string): boolean;
}

const NO_KEYS = keyLookupFromDir(new Map());

export function createGatewayIdentity(
  keysDir: string,
  store: KeyStateStore,
  logger: Logger,
  onKeysLoaded: (agents: readonly string[], problems: readonly string[]) => void,
): GatewayIdentity {
  let directory: KeyDirectory | undefined;
  let lookup: KeyLookup = NO_KEYS;
  const rebuild = (): void => {
    lookup = buildKeyLookup(directory?.keys() ?? new Map(), store.list());
  };
  const signatureDeps: SignatureDeps = {
    keys: () => lookup,
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
          rebuild();
          onKeysLoaded(agents, lines);
        },
      });
      // The first load reports before `directory` is assigned: build the lookup again now that it is.
      rebuild();
    },
    agents: () => directory?.agents() ?? [],
    async refresh() {
      await directory?.reload();
      rebuild();
    },
    close: () => directory?.close(),
    authorizeSessionRequest(request, session, config, addressedUrl) {
      const signed = request.headers.has('signature') || request.headers.has('signature-input');
      if (!signed) return !config.identity.require_signature && !session.verified;
      const url = new URL(addressedUrl);
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
