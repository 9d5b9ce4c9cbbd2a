/** How much a run measures: the full run that writes RESULTS.md, or `--quick`, a smoke run of a few seconds. */
import type { PipelineResult } from './pipeline.js';

export interface BenchSettings {
  readonly quick: boolean;
  readonly latencyCalls: number;
  readonly latencyWarmup: number;
  readonly latencyBlock: number;
  readonly sdkCalls: number;
  readonly sdkWarmup: number;
  readonly clients: number;
  readonly throughputMs: number;
  readonly throughputWarmupMs: number;
  readonly auditRows: number;
  /** Batch sizes of the audit benchmark; the first is checked against the budget. */
  readonly auditRowsPerTurn: readonly [number, ...number[]];
  readonly idleSessions: number;
  /** The whole run is killed after this long. */
  readonly deadlineMs: number;
}

const FULL: BenchSettings = {
  quick: false,
  latencyCalls: 2_000,
  latencyWarmup: 300,
  latencyBlock: 100,
  sdkCalls: 300,
  sdkWarmup: 50,
  clients: 32,
  throughputMs: 10_000,
  throughputWarmupMs: 1_000,
  auditRows: 100_000,
  auditRowsPerTurn: [256, 32],
  idleSessions: 1_000,
  deadlineMs: 180_000,
};

const QUICK: BenchSettings = {
  ...FULL,
  quick: true,
  latencyCalls: 200,
  latencyWarmup: 50,
  latencyBlock: 50,
  sdkCalls: 50,
  sdkWarmup: 10,
  throughputMs: 2_000,
  throughputWarmupMs: 300,
  auditRows: 10_000,
  idleSessions: 100,
  deadlineMs: 90_000,
};

/** The settings for a run. */
export function benchSettings(quick: boolean): BenchSettings {
  return quick ? QUICK : FULL;
}

/** The Method section of RESULTS.md, one bullet per line (Markdown wraps them); `pipeline` is what the gateway ran. */
export function describeMethod(s: BenchSettings, pipeline: PipelineResult): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  const stages = (names: readonly string[]): string => names.join(' → ');
  const notRun =
    pipeline.notRun.length === 0
      ? 'every request stage of DESIGN.md §2 ran.'
      : `${pipeline.notRun.join(', ')} are not built yet and did not run.`;
  return [
    '- Backend: `@modelcontextprotocol/server-everything` over Streamable HTTP (`dist/index.js streamableHttp`), a ' +
      'child process on a free port. Gateway: `node bin/portcullis.js serve` as a child process in front of it, ' +
      'configured for the full pipeline this build has (temporary config and SQLite database): ' +
      '`identity: {require_signature: true, keys_dir}` with a key pair for agent `bench` written by `writeKeyPair` ' +
      'into a temporary directory, `default_policy: deny`, `agents: {bench: {allow: ["everything/echo"], rate_limit: ' +
      "{requests: 100000000, window_s: 60}}}`, the repository's rules/, the three shipped example guards with " +
      'their configs turned on (`ACTIVE_EXAMPLE_GUARDS` in bench/guards.ts: pattern-guard on the request, ' +
      'pii-redact on the response, lethal-trifecta on both), global and per-source rate ' +
      'limits far above the load. Stack floor: `bench/lib/floor-server.ts` as a child ' +
      'process, the front-end stack the design mandates and nothing else (hono + `@hono/node-server` + one SDK ' +
      '`WebStandardStreamableHTTPServerTransport` per session, answering `initialize` and `tools/call` at once from ' +
      '`onmessage`; no McpServer, no backend, no audit). Client: this process. All of them share the machine.',
    '- Call: `tools/call` of `echo` with `{message: "portcullis bench"}`, directly (`echo`), through the gateway ' +
      '(`everything__echo`) and to the stack floor (`echo`); every answer is read whole and checked: it must be a ' +
      'result carrying the echo, and a refusal by the pipeline (-32029, -32081 … -32087) or any other answer stops ' +
      'the run, so a misconfiguration cannot pass for fast calls.',
    `- Pipeline: each gateway call ran the request stages ${stages(pipeline.stages)}, then forward, and its audit ` +
      `row was committed before the answer; ${notRun} Checked, not assumed: before measuring, the gateway must ` +
      'refuse an unsigned `initialize` (-32081) and a signed call of `everything__get-sum` (-32083); after, the last ' +
      'echo calls in its audit log must all be agent `bench`, signature verified, allowed and forwarded, and the ' +
      'stages named here are the ones recorded on them. The direct and stack-floor paths are unsigned ' +
      '(server-everything and the floor check no signatures).',
    '- Client: raw `fetch` JSON-RPC after a real `initialize` + `notifications/initialized` (headers ' +
      '`mcp-session-id`, `mcp-protocol-version`; JSON or SSE bodies read whole), so the transport is measured, not an ' +
      'SDK client. On the gateway path every request (initialize, notifications/initialized, each tools/call, the ' +
      'closing DELETE) is signed with `signRequest` as agent `bench` (RFC 9421 with Content-Digest, a fresh `created` ' +
      "and random nonce each time, the private key parsed once); signing is the client's cost. The SDK Client lines " +
      `(${n(s.sdkCalls)} calls after ${n(s.sdkWarmup)} warm-up per path; to the gateway through ` +
      '`createSigningFetch`, signing included) are for reference only.',
    `- Latency: one session per path, ${n(s.latencyCalls)} sequential calls per path after ${n(s.latencyWarmup)} ` +
      `warm-up, the three paths alternating in blocks of ${n(s.latencyBlock)} (their order reversing every round) to ` +
      'cancel drift. Each call is timed from just after its request was serialized (and, to the gateway, signed) ' +
      'until its answer was read; the signing time is shown on its own line. Added latency = gateway percentile − ' +
      'direct percentile. Server CPU/call: utime + stime from ' +
      "/proc/<pid>/stat of each path's server processes, read around each of its blocks, over its measured calls.",
    `- Throughput: ${s.clients} sessions per path, each calling in a loop; ${s.throughputWarmupMs / 1_000} s warm-up ` +
      `per path, then ${s.throughputMs / 1_000} s per path measured in A-B-C-C-B-A order (direct, gateway, floor, ` +
      'floor, gateway, direct). CPU per call: utime + stime from /proc/<pid>/stat of the processes each path runs ' +
      'through (direct: backend; gateway: gateway and backend; floor: the floor server), before and after each ' +
      'slot, divided by the calls completed in it (clock-tick resolution, 10 ms per slot); client CPU ' +
      'from `process.cpuUsage()` of this process (on the gateway path it includes signing every request); machine busy = non-idle share of all cores (/proc/stat), other ' +
      'work on the machine included: near 100% means the cores, not the gateway, set the pace.',
    '- Guards: in this process, `GuardHost` from src/guard-runtime (the production runtime: worker threads, the ' +
      'main-thread watchdog, output checks) over a temporary guards directory, 2 workers; each chain timed over ' +
      `${n(s.quick ? 300 : 3_000)} sequential runs after ${n(s.quick ? 50 : 300)} warm-up: one do-nothing guard ` +
      '(WebAssembly text, fixed `allow`), four of them, and the three shipped examples turned on over a read_file ' +
      'call (request) and its 450-character result with 8 emails and cards to mask (response). Looping guard: a ' +
      'guard that loops forever on inputs over 2 KB, `timeout_ms: 50`, a fresh host per round (a timed-out guard ' +
      'is benched), while this process keeps calling the same host with short inputs, answered by the other worker.',
    `- Audit: \`createSqliteAuditLog(openDatabase(tmp), {maxPayloadBytes: 65536})\` in this process, ` +
      `${n(s.auditRows)} rows whose payload JSON is 1,024 bytes (hashed with SHA-256 by the log), appended N per ` +
      'event-loop turn (the log commits one transaction per turn), each turn awaited; the first N is the budget line.',
    `- Memory: a second, fresh gateway with the same config (signatures required) and \`sessions.max\` raised; ` +
      `${n(s.idleSessions)} raw initialize + initialized, both signed as agent \`bench\` (16 sessions at a time), ` +
      'then VmRSS from /proc/<pid>/status after 1 s, so the RSS includes what signed sessions keep (the nonces ' +
      'seen, remembered for 2 × `max_clock_skew_s`). Idle sessions open no backend session (HTTP backend sessions ' +
      'open on first use). MB = 10^6 bytes.',
  ].join('\n');
}
