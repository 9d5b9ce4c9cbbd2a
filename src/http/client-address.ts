/**
 * The caller's real address: the socket's peer, or — only when that peer is a trusted proxy — the last address
 * X-Forwarded-For names that is not itself a trusted proxy. A header from anyone else is ignored (spoofable).
 */
import { BlockList, isIP } from 'node:net';

export type AddressResolver = (peer: string | undefined, forwardedFor: string | null) => string;

export function createAddressResolver(trustedProxies: readonly string[]): AddressResolver {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (address: string): boolean => {
    const bare = stripMappedPrefix(address);
    const family = isIP(bare);
    return family !== 0 && trusted.check(bare, family === 6 ? 'ipv6' : 'ipv4');
  };
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
