/**
 * The caller's real address: the socket's peer, or — only when that peer is a trusted proxy — the last address
 * X-Forwarded-For names that is not itself a trusted proxy. A header from anyone else is ignored (spoofable).
 */
import { BlockList, isIP } from 'node:net';

export type AddressResolver = (peer: string | undefined, forwardedFor: string | null) => string;

/**
 * The URL the client addressed, which a request signature's `@authority` covers (DESIGN.md §4): behind a trusted
 * proxy (a TLS terminator) the host named in X-Forwarded-Host; from anyone else the request's own URL, unchanged.
 */
export type AddressedUrl = (peer: string | undefined, url: string, forwardedHost: string | null) => string;

export function createAddressedUrl(trustedProxies: readonly string[]): AddressedUrl {
  const isTrusted = createTrustCheck(trustedProxies);
  return (peer, url, forwardedHost) => {
    if (!forwardedHost || !isTrusted(peer ?? '')) return url;
    const host = forwardedHost.split(',')[0]?.trim() ?? '';
    const rewritten = new URL(url);
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
    if (!match?.[1]) return url;
    rewritten.hostname = match[1];
    rewritten.port = match[2] ?? '';
    // Accept only a host the URL parser keeps as given: anything it rewrites is not a plain host[:port].
    return rewritten.host === host.toLowerCase() ? rewritten.toString() : url;
  };
}

function createTrustCheck(trustedProxies: readonly string[]): (address: string) => boolean {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const bare = stripMappedPrefix(address);
    const family = isIP(bare);
    return trustedProxies.length > 0 && family !== 0 && trusted.check(bare, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export function createAddressResolver(trustedProxies: readonly string[]): AddressResolver {
  const isTrusted = createTrustCheck(trustedProxies);
  return (peer, forwardedFor) => {
    const direct = stripMappedPrefix(peer ?? 'unknown');
    if (trustedProxies.length === 0 || !forwardedFor || !isTrusted(direct)) return direct;
    const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter((hop) => isIP(hop) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      if (!isTrusted(hop)) return stripMappedPrefix(hop);
    }
    return direct;
  };
}

function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
