/**
 * Starts a real gateway in-process for an end-to-end test: a config built from YAML (port 0, a temp sqlite file,
 * unsigned callers allowed and default allow, which this build requires until the identity and ACL stages land),
 * plus the given backends. `stop()` stops the gateway and removes the temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { type Gateway, type GatewayOptions, createGateway } from '../../src/gateway.js';
import { createSilentLogger } from '../../src/observability/logger.js';

export interface StartGatewayOptions {
  /** Backend configs by id (`backends:` of the YAML). */
  readonly backends?: Readonly<Record<string, unknown>>;
  /** More YAML, deep-merged over the test defaults (e.g. `server: { max_body_bytes: 4096 }`). */
  readonly yaml?: string;
  readonly gatewayOptions?: Partial<Omit<GatewayOptions, 'logger'>>;
}

export interface StartedGateway {
  readonly gateway: Gateway;
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** The public listener's origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly dbPath: string;
  /** A temp dir owned by this gateway (the config "file" and the db live here). */
  readonly dir: string;
  readonly config: Config;
  stop(): Promise<void>;
}

/** Builds the frozen config a test gateway runs with; throws with every problem when the YAML is invalid. */
export function buildTestConfig(dir: string, options: StartGatewayOptions = {}): Config {
  const base: Record<string, unknown> = {
    server: { host: '127.0.0.1', port: 0 },
    storage: { sqlite: join(dir, 'audit.db') },
    identity: { require_signature: false },
    default_policy: 'allow',
    backends: options.backends ?? {},
  };
  const extra = options.yaml ? (parse(options.yaml) as Record<string, unknown> | null) : null;
  const text = stringify(deepMerge(base, extra ?? {}));
  const loaded = parseConfigText(text, join(dir, 'portcullis.yaml'), {});
  if (!loaded.ok) {
    throw new Error(
      `test config is invalid:\n${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}\n---\n${text}`,
    );
  }
  return loaded.config;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<StartedGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  const config = buildTestConfig(dir, options);
  const gateway = createGateway(config, {
    logger: createSilentLogger(),
    drainTimeoutMs: 2_000,
    ...options.gatewayOptions,
  });
  try {
    await gateway.start();
  } catch (error) {
    await gateway.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    gateway,
    url: gateway.url,
    origin: new URL(gateway.url).origin,
    dbPath: gateway.databasePath,
    dir,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
