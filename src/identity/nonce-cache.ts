/**
 * Remembers signature nonces for their freshness window (DESIGN.md §4: 2 × max_clock_skew_s) so a captured signed
 * request cannot be replayed. Threat: replay; how it fails: closed — when full it refuses new nonces (see below).
 */

/** `fresh`: remembered now; `replayed`: seen and still unexpired; `full`: refused because the cache is full. */
export type NonceOutcome = 'fresh' | 'replayed' | 'full';

export interface NonceCache {
  /** Records `key` until `now + ttlMs` unless it is already known and unexpired. Times in ms. */
  remember(key: string, now: number, ttlMs: number): NonceOutcome;
  readonly size: number;
}

/** Default hard cap: at 600 requests per agent per minute and a 120 s window, room for about 80 busy agents. */
export const DEFAULT_MAX_NONCES = 100_000;

/**
 * Creates a bounded nonce cache. When it is full of unexpired nonces it refuses new ones instead of evicting: an
 * evicted nonce that is still inside its window could be replayed, so eviction would quietly turn memory pressure
 * into a replay hole. Refusing only costs availability, and only a signer with a valid key can insert (the verifier
 * remembers a nonce after the signature checks out), so a forger cannot fill it.
 */
export function createNonceCache(options: { readonly maxEntries?: number } = {}): NonceCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_NONCES;
  // Insertion order is expiry order while the TTL and clock are steady, so expired entries sit at the front.
  const expiries = new Map<string, number>();

  const purgeFront = (now: number): void => {
    for (const [key, expiry] of expiries) {
      if (expiry > now) return;
      expiries.delete(key);
    }
  };
  const purgeAll = (now: number): void => {
    for (const [key, expiry] of expiries) if (expiry <= now) expiries.delete(key);
  };

  return {
    remember(key, now, ttlMs) {
      purgeFront(now);
      const expiry = expiries.get(key);
      if (expiry !== undefined && expiry > now) return 'replayed';
      expiries.delete(key);
      // A changed TTL or a clock step can leave expired entries behind a live one: sweep before refusing.
      if (expiries.size >= maxEntries) purgeAll(now);
      if (expiries.size >= maxEntries) return 'full';
      expiries.set(key, now + ttlMs);
      return 'fresh';
    },
    get size() {
      return expiries.size;
    },
  };
}
