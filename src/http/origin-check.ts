/**
 * DNS-rebinding protection: a browser page on another site must not reach a gateway on loopback. Host must be a
 * loopback name or listed in `server.allowed_hosts`; an Origin header, when present, must be a loopback origin or
 * listed in `server.allowed_origins`. Clients that are not browsers send no Origin and pass the Origin check.
 */
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface OriginPolicy {
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
}

export function isAllowedRequest(policy: OriginPolicy, host: string | undefined, origin: string | undefined): boolean {
  return isAllowedHost(policy, host) && (origin === undefined || isAllowedOrigin(policy, origin));
}

function isAllowedHost(policy: OriginPolicy, host: string | undefined): boolean {
  if (!host) return false;
  const lower = host.toLowerCase();
  const hostname = hostnameOf(lower);
  if (LOOPBACK_HOSTNAMES.has(hostname)) return true;
  // An entry with a port matches exactly; an entry without one matches that host on any port.
  return policy.allowedHosts.some((entry) => {
    const want = entry.toLowerCase();
    return want === lower || want === hostname;
  });
}

function isAllowedOrigin(policy: OriginPolicy, origin: string): boolean {
  if (policy.allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTNAMES.has(url.hostname);
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon > 0 ? host.slice(0, colon) : host;
}
