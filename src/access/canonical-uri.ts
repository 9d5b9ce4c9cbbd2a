/**
 * Is a resource URI in the one spelling that policy globs can be trusted to match?
 *
 * Globs match text, but a backend resolves a URI: `file:///srv/shared/../secret/key`, `file:///srv//secret/key`,
 * `file:///srv/%73ecret/key` and `FILE:///srv/secret/key` all miss a deny glob `resource:files/file:///srv/secret/**`
 * while a filesystem backend may well read the secret. Rather than guess how each backend normalizes, the policy
 * refuses to let a non-canonical URI match an allow glob and lets it match every restricting glob (fail closed).
 * Canonical here is RFC 3986 §6.2.2 normalization plus what path-like backends treat as equivalent.
 */

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const CONTROL = /[\u0000-\u001f\u007f]/;
const PERCENT = /%(.{0,2})/g;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// Encoded "/", "\", "%" and NUL: a backend that decodes once more sees a separator, an escape or a terminator.
const ENCODED_SEPARATORS = new Set(['2F', '5C', '25', '00']);

/** Why `uri` is not canonical, for the audit detail; undefined when it is canonical. */
export function nonCanonicalReason(uri: string): string | undefined {
  if (CONTROL.test(uri)) return 'control character';
  if (uri.includes('\\')) return 'backslash';
  const scheme = SCHEME.exec(uri)?.[1];
  if (scheme === undefined) return 'no scheme';
  if (scheme !== scheme.toLowerCase()) return 'upper-case scheme';
  const encoding = percentEncodingProblem(uri);
  if (encoding) return encoding;

  let rest = uri.slice(scheme.length + 1);
  if (rest.startsWith('//')) {
    const end = authorityEnd(rest);
    const authority = rest.slice(2, end);
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (host !== host.toLowerCase()) return 'upper-case host';
    if (scheme === 'file' && host === 'localhost') return 'file://localhost (same as file:///)';
    rest = rest.slice(end);
  }
  return segmentProblem(rest.split('#', 1)[0] ?? '');
}

/** True when `uri` is canonical (see nonCanonicalReason). */
export function isCanonicalUri(uri: string): boolean {
  return nonCanonicalReason(uri) === undefined;
}

function authorityEnd(rest: string): number {
  const stops = ['/', '?', '#'].map((c) => rest.indexOf(c, 2)).filter((i) => i >= 0);
  return stops.length === 0 ? rest.length : Math.min(...stops);
}

function percentEncodingProblem(uri: string): string | undefined {
  for (const [, digits = ''] of uri.matchAll(PERCENT)) {
    if (!HEX2.test(digits)) return 'malformed percent-encoding';
    if (digits !== digits.toUpperCase()) return 'lower-case percent-encoding';
    if (ENCODED_SEPARATORS.has(digits)) return `percent-encoded separator %${digits}`;
    if (UNRESERVED.test(String.fromCharCode(parseInt(digits, 16))))
      return `percent-encoded unreserved character %${digits}`;
  }
  return undefined;
}

/** Dot segments anywhere (path or query), and empty segments inside the path (`a//b`): both re-resolve. */
function segmentProblem(rest: string): string | undefined {
  const [path = '', ...query] = rest.split('?');
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '.' || segment === '..') return 'dot segment';
    // The first segment is empty for a path that starts with "/", the last for one that ends with "/": both fine.
    if (segment === '' && i > 0 && i < segments.length - 1) return 'empty path segment';
  }
  if (
    query
      .join('?')
      .split(/[/&=]/)
      .some((part) => part === '..' || part === '.')
  )
    return 'dot segment';
  return undefined;
}
