/** Bearer-token check for the admin listener: constant-time comparison; the matching token's name is the reviewer. */
import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenCheck = (authorization: string | undefined) => string | undefined;

export function createTokenCheck(tokens: Readonly<Record<string, string>>): TokenCheck {
  // Compare digests so lengths never leak and every comparison costs the same.
  const known = Object.entries(tokens).map(([name, token]) => ({ name, digest: sha256(token) }));
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return undefined;
    const digest = sha256(match[1]);
    let found: string | undefined;
    for (const entry of known) if (timingSafeEqual(entry.digest, digest)) found ??= entry.name;
    return found;
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
