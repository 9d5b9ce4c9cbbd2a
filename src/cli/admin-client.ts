/**
 * How CLI commands reach a running gateway: its admin API, with a token from `admin.tokens` (`--reviewer` picks which;
 * its name is recorded). No gateway listening means the command works on the stored state instead.
 */
import type { Config } from '../config/schema.js';
import { UsageError } from './io.js';

export type AdminResult =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'no_gateway' }
  | { readonly kind: 'failed'; readonly message: string };

const TIMEOUT_MS = 5_000;

/** Picks the admin token: the one `--reviewer` names, or the only one configured. */
export function pickToken(config: Config, reviewer: string | undefined): { name: string; token: string } | undefined {
  const tokens = Object.entries(config.admin.tokens);
  if (tokens.length === 0) return undefined;
  if (reviewer !== undefined) {
    const token = config.admin.tokens[reviewer];
    if (token === undefined) throw new UsageError(`--reviewer ${reviewer}: no such name in admin.tokens`);
    return { name: reviewer, token };
  }
  if (tokens.length > 1) throw new UsageError(`several admin tokens are configured: pick one with --reviewer (${tokens.map(([n]) => n).join(', ')})`);
  const [name, token] = tokens[0] as [string, string];
  return { name, token };
}

export async function callAdmin(
  config: Config,
  reviewer: string | undefined,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown },
): Promise<AdminResult> {
  const token = pickToken(config, reviewer);
  if (!token) return (await gatewayIsRunning(config)) ? adminOff() : { kind: 'no_gateway' };
  const url = `http://${hostForUrl(config.admin.host)}:${config.admin.port}${request.path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (isConnectionRefused(error)) return { kind: 'no_gateway' };
    return { kind: 'failed', message: `cannot reach the admin API at ${url}: ${describe(error)}` };
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = (body as { error?: unknown } | null)?.error;
    return { kind: 'failed', message: `the admin API answered ${response.status}${typeof reason === 'string' ? `: ${reason}` : ''}` };
  }
  return { kind: 'ok', body };
}

function adminOff(): AdminResult {
  return { kind: 'failed', message: 'a gateway is running with this config but its admin API is off: add a token to admin.tokens and restart it' };
}

async function gatewayIsRunning(config: Config): Promise<boolean> {
  try {
    await fetch(`http://${hostForUrl(config.server.host)}:${config.server.port}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  }
}

function hostForUrl(host: string): string {
  const bare = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare;
}

function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}
