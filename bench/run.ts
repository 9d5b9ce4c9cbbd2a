/**
 * `npm run bench` (after a build): measures the gateway against DESIGN.md §6 and writes bench/RESULTS.md.
 * Every child process is killed when the run ends, fails, is interrupted or overruns its deadline.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureAuditThroughput } from './audit.js';
import { ACTIVE_EXAMPLE_GUARDS, measureGuards, writeActiveExampleGuards } from './guards.js';
import { measureLatency } from './latency.js';
import { type BenchIdentity, createBenchIdentity } from './lib/identity.js';
import { describeMachine } from './lib/machine.js';
import { type ChildSet, createChildSet } from './lib/processes.js';
import { openRawSession } from './lib/raw-client.js';
import {
  type RunningServer,
  gatewayDatabase,
  startBackend,
  startFloor,
  startGateway,
  writeGatewayConfig,
} from './lib/servers.js';
import { measureIdleSessionMemory } from './memory.js';
import { checkGatewayRefuses, readPipeline } from './pipeline.js';
import { renderText, writeResultsMarkdown } from './report.js';
import type { BenchResults } from './results.js';
import { createSigningFetch } from '../src/identity/signer.js';
import { measureScanner } from './scanner.js';
import { measureSdkLatency } from './sdk-reference.js';
import { type BenchSettings, benchSettings, describeMethod } from './settings.js';
import { measureThroughput } from './throughput.js';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const RESULTS_FILE = join(REPO_ROOT, 'bench', 'RESULTS.md');
const DIRECT_TOOL = 'echo';
const GATEWAY_TOOL = 'everything__echo';
/** The floor answers every tools/call with an echo, whatever the name. */
const FLOOR_TOOL = 'echo';

const USAGE = `Usage: npm run bench [-- --quick]

  --quick   a smoke run of a few seconds (fewer calls); prints the table, does not write bench/RESULTS.md
`;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface BenchContext {
  readonly settings: BenchSettings;
  readonly children: ChildSet;
  readonly workDir: string;
  readonly backend: RunningServer;
  /** The agent that signs every gateway request. */
  readonly identity: BenchIdentity;
  /** The shipped example guards, turned on, that every gateway runs. */
  readonly guardsDir: string;
}

async function startGatewayFor(context: BenchContext, name: string, sessionsMax: number): Promise<RunningServer> {
  const config = writeGatewayConfig({
    repoRoot: REPO_ROOT,
    dir: context.workDir,
    name,
    backendUrl: context.backend.url,
    sessionsMax,
    agent: context.identity.agent,
    keysDir: context.identity.keysDir,
    guardsDir: context.guardsDir,
  });
  const gateway = await startGateway(context.children, REPO_ROOT, config);
  log(`${name}: ${gateway.url} (pid ${gateway.child.pid})`);
  // Signatures and the ACL are on: an unsigned request and a call outside the allow list are refused.
  await checkGatewayRefuses(gateway.url, context.identity.sign);
  return gateway;
}

/**
 * Latency (raw and SDK reference) and throughput: direct, through one gateway (every request signed), and the stack
 * floor; then what the gateway ran, from its audit log.
 */
async function measureCalls(
  context: BenchContext,
): Promise<Pick<BenchResults, 'latency' | 'sdk' | 'throughput' | 'pipeline'>> {
  const { settings, backend, identity } = context;
  const signer = identity.sign;
  const gateway = await startGatewayFor(context, 'gateway', 1_000);
  const floor = await startFloor(context.children, REPO_ROOT);
  log(`stack floor: ${floor.url} (pid ${floor.child.pid})`);
  log(`latency: ${settings.latencyCalls} calls per path at 1 client`);
  const sessions = await Promise.all([
    openRawSession(backend.url),
    openRawSession(gateway.url, { signer }),
    openRawSession(floor.url),
  ]);
  const [directSession, gatewaySession, floorSession] = sessions;
  if (!directSession || !gatewaySession || !floorSession) throw new Error('latency: a session did not open');
  const watch = {
    direct: [{ name: 'backend', pid: backend.child.pid }],
    gateway: [
      { name: 'gateway', pid: gateway.child.pid },
      { name: 'backend', pid: backend.child.pid },
    ],
    floor: [{ name: 'floor', pid: floor.child.pid }],
  };
  const latency = await measureLatency({
    direct: { session: directSession, tool: DIRECT_TOOL, watch: watch.direct },
    gateway: { session: gatewaySession, tool: GATEWAY_TOOL, watch: watch.gateway },
    floor: { session: floorSession, tool: FLOOR_TOOL, watch: watch.floor },
    calls: settings.latencyCalls,
    warmup: settings.latencyWarmup,
    block: settings.latencyBlock,
  });
  await Promise.all(sessions.map((session) => session.close()));

  log('SDK client reference');
  const sdk = {
    calls: settings.sdkCalls,
    direct: await measureSdkLatency(backend.url, DIRECT_TOOL, settings.sdkCalls, settings.sdkWarmup),
    gateway: await measureSdkLatency(
      gateway.url,
      GATEWAY_TOOL,
      settings.sdkCalls,
      settings.sdkWarmup,
      createSigningFetch({ agent: identity.agent, privateKey: identity.privateKeyPem }),
    ),
  };

  log(`throughput: ${settings.clients} clients, ${settings.throughputMs / 1_000} s per path`);
  const throughput = await measureThroughput({
    direct: { url: backend.url, tool: DIRECT_TOOL, watch: watch.direct },
    gateway: { url: gateway.url, tool: GATEWAY_TOOL, watch: watch.gateway, signer },
    floor: { url: floor.url, tool: FLOOR_TOOL, watch: watch.floor },
    clients: settings.clients,
    durationMs: settings.throughputMs,
    warmupMs: settings.throughputWarmupMs,
  });
  await Promise.all([gateway.child.stop(), floor.child.stop()]);
  const pipeline = await readPipeline({
    dbPath: gatewayDatabase(context.workDir, 'gateway'),
    agent: identity.agent,
    repoRoot: REPO_ROOT,
    guards: Object.keys(ACTIVE_EXAMPLE_GUARDS),
    minRows: settings.latencyWarmup + settings.latencyCalls,
  });
  log(`gateway stages: ${pipeline.stages.join(' → ')} (${pipeline.rowsChecked} audit rows checked)`);
  return { latency, sdk, throughput, pipeline };
}

async function measureAudit(settings: BenchSettings): Promise<BenchResults['audit']> {
  const [first, ...more] = settings.auditRowsPerTurn;
  const measure = (perTurn: number): ReturnType<typeof measureAuditThroughput> => {
    log(`audit: ${settings.auditRows} rows, ${perTurn} per turn`);
    return measureAuditThroughput(settings.auditRows, perTurn);
  };
  const headline = await measure(first);
  const others = [];
  for (const perTurn of more) others.push(await measure(perTurn));
  return [headline, ...others];
}

async function run(settings: BenchSettings, children: ChildSet, workDir: string): Promise<BenchResults> {
  const started = performance.now();
  const machine = describeMachine(REPO_ROOT);
  const backend = await startBackend(children, REPO_ROOT);
  log(`backend: ${backend.url} (pid ${backend.child.pid})`);
  const identity = await createBenchIdentity(join(workDir, 'keys'));
  const guardsDir = join(workDir, 'guards');
  mkdirSync(guardsDir);
  writeActiveExampleGuards(REPO_ROOT, guardsDir);
  const context: BenchContext = { settings, children, workDir, backend, identity, guardsDir };

  log('rule scan: every shipped rule, in process');
  const scanner = measureScanner(REPO_ROOT, settings.quick);
  log('guards: the worker pool and the shipped examples, in process');
  const guards = await measureGuards(REPO_ROOT, settings.quick);
  const calls = await measureCalls(context);
  const audit = await measureAudit(settings);
  log(`memory: ${settings.idleSessions} idle sessions`);
  const idle = await startGatewayFor(context, 'idle', settings.idleSessions + 100);
  const memory = await measureIdleSessionMemory(idle.url, idle.child.pid, settings.idleSessions, identity.sign);
  await children.stopAll();

  const elapsedSeconds = (performance.now() - started) / 1_000;
  return { quick: settings.quick, machine, ...calls, audit, memory, scanner, guards, elapsedSeconds };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (process.stdout.write(USAGE), 0);
  const settings = benchSettings(values.quick === true);
  const children = createChildSet();
  const workDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const cleanUp = (): void => {
    children.killAllNow();
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const watchdog = setTimeout(() => {
    log(`the run exceeded ${settings.deadlineMs / 1_000} s: stopping`);
    process.exit(1);
  }, settings.deadlineMs);
  watchdog.unref();

  try {
    const results = await run(settings, children, workDir);
    process.stdout.write(`\n${renderText(results)}\n\n`);
    if (settings.quick) {
      log('quick run: bench/RESULTS.md not updated');
    } else {
      await writeResultsMarkdown(RESULTS_FILE, results, describeMethod(settings, results.pipeline));
      log(`wrote ${RESULTS_FILE} (${results.elapsedSeconds.toFixed(0)} s)`);
    }
    return 0;
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    await children.stopAll();
  }
}

process.exitCode = await main();
