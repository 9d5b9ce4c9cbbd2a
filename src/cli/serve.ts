/** `portcullis serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits. */
import { deepFreeze } from '../config/deep-freeze.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { GATEWAY_INFO, type Gateway, createGateway } from '../gateway.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { StoreError } from '../store/errors.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigWithText } from './load-config.js';

export const SERVE_HELP = `Usage: portcullis serve [--port N] [--host H] [--config FILE]

Runs the gateway: the MCP endpoint for clients, the backends behind it, the audit log.

Options:
  --port N        listen on port N (also PORTCULLIS_PORT; default from the config, 8080)
  --host H        listen on host H (default from the config, 127.0.0.1)
  --config FILE   config file (also PORTCULLIS_CONFIG; default config/portcullis.yaml)
  -h, --help      show this help

Logs are JSON lines on stderr (PORTCULLIS_LOG_LEVEL=debug|info|warn|error). Saving the config file applies its
policy sections live; a broken edit keeps the running config and says why (log, /healthz, audit log). SIGTERM or
Ctrl-C drains calls in flight, flushes the audit log and exits.
`;

export interface ServeHooks {
  /** Resolves when the process should stop (default: SIGTERM or SIGINT). */
  readonly stopSignal?: Promise<void>;
}

export async function runServe(argv: readonly string[], io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' } });
  if (values.help) return io.out(SERVE_HELP), EXIT.ok;
  const file = configPathFrom(values, io.env);
  const loaded = loadConfigWithText(file, io);
  if (!loaded) return EXIT.userError;
  const config = withListenOverrides(loaded.config, values.host, values.port ?? io.env.PORTCULLIS_PORT);
  const logger = createLogger({ level: parseLogLevel(io.env.PORTCULLIS_LOG_LEVEL, 'info'), write: io.err });

  let gateway: Gateway;
  try {
    gateway = createGateway(config, {
      logger, configFile: file, watch: { env: io.env, text: loaded.text }, onProgress: (message) => io.out(`  ${message}…\n`),
    });
    io.out(`Portcullis ${GATEWAY_INFO.version}: starting ${Object.keys(config.backends).length} backend(s)…\n`);
    await gateway.start();
  } catch (error) {
    if (error instanceof GatewayError) {
      for (const problem of error.problems) io.err(`error: ${problem}\n`);
      return EXIT.userError;
    }
    if (error instanceof StoreError) return io.err(`error: ${error.message}\n`), EXIT.userError;
    throw error;
  }
  io.out(banner(gateway, config));
  await (hooks.stopSignal ?? waitForSignal());
  io.out('Stopping: draining calls in flight…\n');
  await gateway.stop();
  io.out('Stopped.\n');
  return EXIT.ok;
}

function withListenOverrides(config: Config, host: unknown, port: unknown): Config {
  if (host === undefined && port === undefined) return config;
  const server = { ...config.server };
  if (typeof host === 'string') server.host = host;
  if (typeof port === 'string') {
    const parsed = Number(port);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new UsageError(`--port must be a port number, got ${port}`);
    server.port = parsed;
  }
  return deepFreeze({ ...structuredClone(config), server });
}

function banner(gateway: Gateway, config: Config): string {
  const lines = ['', `Portcullis ${GATEWAY_INFO.version} — MCP security gateway`, `  MCP endpoint:  ${gateway.url}   (point your MCP client here)`];
  const guards = gateway.guardStatus().filter((g) => g.status !== 'refused');
  lines.push(`  Guards:        ${guards.length > 0 ? guards.map((g) => `${g.name} (${g.phases?.join(', ')})`).join(', ') : `none (drop .wasm files into ${config.guards.dir})`}`);
  lines.push('  Backends:');
  for (const [id, status] of gateway.backendStatuses()) {
    const detail = status.state === 'up' ? `${status.tools} tools` : (status.error ?? '');
    lines.push(`    ${id.padEnd(16)} ${status.state.padEnd(6)} ${detail}`);
  }
  if (gateway.backendStatuses().size === 0) lines.push('    (none configured)');
  lines.push(`  Audit log:     ${gateway.databasePath}`);
  lines.push(`  Admin:         ${gateway.adminUrl ?? 'off (no admin.tokens configured)'}`);
  const signatures = config.identity.require_signature ? 'required' : 'optional (callers are unverified)';
  lines.push(`  Mode: ${config.mode}; signatures ${signatures}; default policy ${config.default_policy}`);
  lines.push('Ready. Ctrl-C to stop.', '');
  return lines.join('\n');
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}
