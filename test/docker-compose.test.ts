/**
 * The container path without a Docker engine: docker-compose.yml, the Dockerfile and config/docker.yaml must agree
 * with each other and with the repository (mounted paths, copied sources, the config the image runs, the backend
 * service it names, ports published on loopback only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { assertRunnable } from '../src/gateway.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TOKEN_ENV = { PORTCULLIS_ADMIN_TOKEN: 'test-token-0123456789abcdef' };

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const gatewayService = services.portcullis as ComposeService;
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtimeStage = dockerfile.at(-1) ?? [];
const workdir = runtimeStage.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
const cmd = JSON.parse(runtimeStage.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[];

/** Instructions per build stage, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): DockerInstruction[][] {
  const stages: DockerInstruction[][] = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = '', mode] = spec.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

/** The config file a command line names (`--config FILE`), relative to the image's WORKDIR = the repository root. */
function configArgument(command: readonly string[]): string | undefined {
  const index = command.indexOf('--config');
  return index >= 0 ? command[index + 1] : undefined;
}

function loadRunnable(file: string, env: Record<string, string>): Config {
  const result = loadConfig(join(ROOT, file), env);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line ?? ''} ${e.path}: ${e.message}`).join('\n'));
  assertRunnable(result.config);
  return result.config;
}

const configFiles = [cmd, ...Object.values(services).map((s) => s.command ?? [])]
  .map(configArgument)
  .filter((file): file is string => file !== undefined);

describe('docker-compose.yml', () => {
  it('has the gateway and the everything backend, the gateway starting after it', () => {
    expect(Object.keys(services).sort()).toEqual(['everything', 'portcullis']);
    const dependsOn = gatewayService.depends_on ?? [];
    expect(Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn)).toContain('everything');
  });

  it.each(mountsOf(gatewayService).map((m) => [m.source, m]))(
    'mounts %s from a path in the repository',
    (_source, mount) => {
      expect(mount.source.startsWith('./'), `${mount.source} is not a relative bind mount`).toBe(true);
      // data/ holds the database: git-ignored, created on first use.
      if (mount.source !== './data')
        expect(existsSync(join(ROOT, mount.source)), `${mount.source} is missing`).toBe(true);
      expect(mount.readOnly, `${mount.source} read-only`).toBe(mount.source !== './data');
      expect(mount.target).toBe(posix.join(workdir, mount.source));
    },
  );

  it('publishes ports on loopback only (config/docker.yaml accepts unsigned callers)', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    expect(services.everything?.ports ?? []).toEqual([]);
  });

  it('requires the admin token instead of starting without one', () => {
    expect(gatewayService.environment?.PORTCULLIS_ADMIN_TOKEN).toMatch(/^\$\{PORTCULLIS_ADMIN_TOKEN:\?[^}]+\}$/);
  });

  it('runs a server-everything entry file that exists in node_modules', () => {
    const command = services.everything?.command ?? [];
    const entry = command.find((arg) => arg.includes('server-everything'));
    expect(command[0]).toBe('node');
    expect(entry).toBeDefined();
    expect(existsSync(join(ROOT, entry ?? 'missing'))).toBe(true);
    expect(command.at(-1)).toBe('streamableHttp');
  });
});

describe('Dockerfile', () => {
  const copies = dockerfile
    .flat()
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .map((i) =>
      i.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1),
    )
    .flat();
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !/[*?[!]/.test(line));

  it.each([...new Set(copies)])('copies %s, which exists and is not in .dockerignore', (source) => {
    expect(existsSync(join(ROOT, source))).toBe(true);
    const hit = ignored.find((pattern) => source === pattern || source.startsWith(`${pattern}/`));
    expect(hit, `${source} is excluded by .dockerignore (${hit})`).toBeUndefined();
  });

  it('runs the gateway as a non-root user with a healthcheck and config/docker.yaml', () => {
    expect(runtimeStage.filter((i) => i.keyword === 'USER').at(-1)?.args).not.toMatch(/^(root|0)(:|$)/);
    expect(runtimeStage.some((i) => i.keyword === 'HEALTHCHECK' && i.args.includes('/healthz'))).toBe(true);
    expect(cmd.slice(0, 3)).toEqual(['node', 'bin/portcullis.js', 'serve']);
    expect(configArgument(cmd)).toBe('config/docker.yaml');
  });
});

describe.each(configFiles.map((file) => [file]))('%s', (file) => {
  const config = loadRunnable(file, TOKEN_ENV);
  const mounts = mountsOf(gatewayService);

  it('passes verify with PORTCULLIS_ADMIN_TOKEN set, and fails without it', () => {
    expect(config.admin.tokens).toEqual({ admin: TOKEN_ENV.PORTCULLIS_ADMIN_TOKEN });
    expect(() => loadRunnable(file, {})).toThrow(/PORTCULLIS_ADMIN_TOKEN/);
  });

  it('listens inside the container on the ports compose publishes and the image exposes', () => {
    const exposed = runtimeStage.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/) ?? [];
    const containerPorts = (gatewayService.ports ?? []).map((p) => p.split(':').at(-1));
    for (const port of [config.server.port, config.admin.port].map(String)) {
      expect(exposed).toContain(port);
      expect(containerPorts).toContain(port);
    }
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.allowed_hosts).toEqual(
      expect.arrayContaining(['localhost:8080', '127.0.0.1:8080', 'portcullis:8080']),
    );
  });

  it('names HTTP backends by compose service and port', () => {
    const backends = Object.values(config.backends);
    expect(backends.length).toBeGreaterThan(0);
    for (const backend of backends) {
      expect(backend.transport).toBe('http');
      if (backend.transport !== 'http') continue;
      const url = new URL(backend.url);
      const service = services[url.hostname];
      expect(service, `${url.hostname} is not a compose service`).toBeDefined();
      expect(service?.environment?.PORT).toBe(url.port);
    }
  });

  it('reads rules, guards and keys from read-only mounts and writes the database to the data mount', () => {
    const mountFor = (absolute: string): Mount | undefined =>
      mounts.find((m) => m.source === `./${relative(ROOT, absolute)}`);
    for (const dir of [...config.rules.dirs, config.guards.dir, config.identity.keys_dir]) {
      expect(mountFor(dir)?.readOnly, `${dir} is not mounted read-only`).toBe(true);
    }
    const data = mountFor(dirname(resolve(config.storage.sqlite)));
    expect(data, `${config.storage.sqlite} is not on a mounted volume`).toBeDefined();
    expect(data?.readOnly).toBe(false);
  });
});
