/**
 * The rate-limit key of a caller's network address. One IPv6 host usually holds a whole /64 (2^64 addresses, SLAAC
 * and privacy extensions hand them out freely), so keying on the full address would let one client rotate through
 * fresh quotas and fill the limiter's table: IPv6 addresses are keyed by their /64 prefix. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports) is keyed as the IPv4 address it is.
 */
import { isIP } from 'node:net';

/** The limiter key for `address`: an IPv4 address, an IPv6 /64 (`2001:db8:0:1::/64`), or anything else as is. */
export function sourceKeyOf(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  switch (isIP(bare)) {
    case 4:
      return bare;
    case 6:
      return ipv6Key(bare);
    default:
      return address;
  }
}

function ipv6Key(address: string): string {
  const groups = expandIpv6(address.toLowerCase());
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIP` said so), `::` and a dotted IPv4 tail expanded. */
function expandIpv6(address: string): number[] {
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let text = address;
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${address.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
