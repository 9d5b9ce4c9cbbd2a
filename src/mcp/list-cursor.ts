/**
 * The gateway's own pagination cursor for merged list calls. A first page asks every backend; the cursor remembers,
 * per backend, the cursor that backend gave for its next page. Cursors come from clients: they are parsed strictly
 * and bounded, and a backend id that is not configured is refused.
 */
const PREFIX = 'pc1.';
const MAX_CURSOR_CHARS = 8_192;

export type PendingPages = ReadonlyMap<string, string>;

export function encodeCursor(pending: PendingPages): string | undefined {
  if (pending.size === 0) return undefined;
  return PREFIX + Buffer.from(JSON.stringify(Object.fromEntries(pending)), 'utf8').toString('base64url');
}

/** Parses a client's cursor; undefined when it is not one of ours or names an unknown backend. */
export function decodeCursor(cursor: string, knownBackends: ReadonlySet<string>): PendingPages | undefined {
  if (cursor.length > MAX_CURSOR_CHARS || !cursor.startsWith(PREFIX)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const pending = new Map<string, string>();
  for (const [backend, next] of Object.entries(parsed)) {
    if (!knownBackends.has(backend) || typeof next !== 'string') return undefined;
    pending.set(backend, next);
  }
  return pending.size > 0 ? pending : undefined;
}
