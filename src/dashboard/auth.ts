/**
 * Dashboard sign-in: an admin token (from `admin.tokens`) is exchanged for a session cookie (HttpOnly,
 * SameSite=Strict, scoped to /dashboard). The token's name is the reviewer recorded with every decision made through
 * the session. Every state-changing form carries the session's CSRF token. Repeated bad sign-ins from one address lock
 * that address out for a while. Sessions, lockouts and their maps are bounded.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createTokenCheck } from '../http/bearer-auth.js';

export interface DashboardSession {
  readonly id: string;
  readonly reviewer: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

export type SignIn =
  | { readonly ok: true; readonly session: DashboardSession }
  | { readonly ok: false; readonly why: 'bad_token' | 'locked_out'; readonly retryAfterS?: number };

export interface DashboardAuth {
  signIn(token: string, address: string): SignIn;
  session(cookie: string | undefined): DashboardSession | undefined;
  signOut(id: string): void;
  /** Whether `given` is the session's CSRF token (constant time). */
  csrfOk(session: DashboardSession, given: unknown): boolean;
}

export const AUTH_LIMITS = {
  sessionTtlMs: 8 * 3_600_000,
  sessions: 256,
  failuresBeforeLockout: 5,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  addresses: 10_000,
} as const;

export const SESSION_COOKIE = 'portcullis_session';

export function createDashboardAuth(tokens: Readonly<Record<string, string>>, now: () => number = Date.now): DashboardAuth {
  const check = createTokenCheck(tokens);
  const sessions = new Map<string, DashboardSession>();
  const failures = new Map<string, { count: number; first: number; lockedUntil: number }>();

  const prune = (): void => {
    const at = now();
    for (const [id, s] of sessions) if (s.expiresAt <= at) sessions.delete(id);
    for (const [address, f] of failures) if (f.lockedUntil <= at && f.first + AUTH_LIMITS.failureWindowMs <= at) failures.delete(address);
  };

  return {
    signIn(token, address) {
      prune();
      const at = now();
      const record = failures.get(address);
      if (record && record.lockedUntil > at) return { ok: false, why: 'locked_out', retryAfterS: Math.ceil((record.lockedUntil - at) / 1000) };
      const reviewer = check(`Bearer ${token}`);
      if (!reviewer) {
        const current = record && record.first + AUTH_LIMITS.failureWindowMs > at ? record : { count: 0, first: at, lockedUntil: 0 };
        current.count++;
        if (current.count >= AUTH_LIMITS.failuresBeforeLockout) current.lockedUntil = at + AUTH_LIMITS.lockoutMs;
        // Bounded: when full, the oldest entry goes (Map keeps insertion order).
        if (!failures.has(address) && failures.size >= AUTH_LIMITS.addresses) failures.delete(failures.keys().next().value as string);
        failures.set(address, current);
        return { ok: false, why: 'bad_token' };
      }
      failures.delete(address);
      if (sessions.size >= AUTH_LIMITS.sessions) sessions.delete(sessions.keys().next().value as string);
      const session = { id: randomBytes(32).toString('hex'), reviewer, csrf: randomBytes(32).toString('hex'), expiresAt: at + AUTH_LIMITS.sessionTtlMs };
      sessions.set(session.id, session);
      return { ok: true, session };
    },
    session(cookie) {
      if (!cookie || !/^[0-9a-f]{64}$/.test(cookie)) return undefined;
      const session = sessions.get(cookie);
      if (!session) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(cookie);
        return undefined;
      }
      return session;
    },
    signOut: (id) => void sessions.delete(id),
    csrfOk(session, given) {
      if (typeof given !== 'string' || given.length !== session.csrf.length) return false;
      return timingSafeEqual(Buffer.from(given), Buffer.from(session.csrf));
    },
  };
}
