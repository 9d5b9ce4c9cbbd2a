/**
 * The gateway's content parts, built once: the live rule set (its directories watched), tool pinning and the
 * description scan, the screen over server instructions and sampling, escalation, and the quarantine holds.
 * The action policy depends on the config and is rebuilt with each reload (see gateway.ts `buildLive`).
 */
import type { Config } from './config/schema.js';
import { GatewayError } from './errors.js';
import type { HeldCalls, HeldItem, HoldRequest } from './mcp/router-context.js';
import type { Logger } from './observability/logger.js';
import type { ActionPolicy } from './scanner/actions.js';
import { type ContentScreen, createContentScreen } from './scanner/content-screen.js';
import { type EscalationTracker, createEscalationTracker } from './scanner/escalation.js';
import { type MaskableFinding, credentialSpans, maskValue } from './scanner/mask.js';
import { type RuleReload, RuleLoadError, type RuleSource, openRuleSource } from './scanner/rule-source.js';
import { type ToolGate, createToolGate } from './scanner/tool-gate.js';
import type { Database } from './store/open-database.js';
import { type QuarantineRecord, type QuarantineStore, createQuarantineStore } from './store/quarantine-store.js';
import { type QuarantineReview, callHashOf, createQuarantineReview } from './quarantine/review.js';
import { type ToolPinRecord, type ToolPinStore, createToolPinStore } from './store/tool-pin-store.js';
import type { PinAdmin, PinView } from './http/admin-pins.js';
import type { AuditRecord } from './store/types.js';

export interface GatewayContent {
  readonly rules: RuleSource;
  readonly toolGate: ToolGate;
  readonly screen: ContentScreen;
  readonly escalation: EscalationTracker;
  readonly holds: HeldCalls;
  readonly pins: ToolPinStore;
  readonly quarantine: QuarantineStore;
  /** The review side of the queue (admin API, CLI, expiry). */
  readonly review: QuarantineReview;
  /** What the admin API offers on pins. */
  readonly pinAdmin: PinAdmin;
  close(): void;
}

export interface GatewayContentDeps {
  readonly db: Database;
  readonly logger: Logger;
  /** The running config and its action policy. */
  readonly live: () => { readonly config: Config; readonly actions: ActionPolicy };
  readonly recordEvent: (method: string, fields?: Partial<AuditRecord>) => void;
}

/** Most characters of a held call's payload that are stored with it. */
const MAX_HELD_PAYLOAD_CHARS = 262_144;

/** Throws RuleLoadError when the rules do not load: the gateway refuses to start without its rules. */
export function createGatewayContent(config: Config, deps: GatewayContentDeps): GatewayContent {
  const { logger, recordEvent } = deps;
  const rules = openRules(config, (outcome) => reportRuleReload(outcome, logger, recordEvent));
  const pins = createToolPinStore(deps.db);
  const quarantine = createQuarantineStore(deps.db);
  const scanConfig = (): { actions: ActionPolicy; maxScanBytes: number; oversizeAction: Config['rules']['oversize_action'] } => {
    const { config: running, actions } = deps.live();
    return { actions, maxScanBytes: running.rules.max_scan_bytes, oversizeAction: running.rules.oversize_action };
  };
  const toolGate = createToolGate({
    pins,
    ruleSet: rules.current,
    scanConfig,
    onEvent: (method, { backend, tool, detail }) => {
      const messages: Record<string, string> = {
        'tool.changed': 'tool definition changed: hidden until approved',
        'tool.hidden': 'tool hidden by its description',
      };
      logger.warn(messages[method] ?? 'tool hidden: its pin could not be checked', { backend, tool, detail });
      recordEvent(method, { backend, tool, detail });
    },
  });
  const screen = createContentScreen({
    ruleSet: rules.current,
    scanConfig,
    onEvent: (method, { backend, agent, detail }) => {
      logger.warn(method, { backend, agent, detail });
      recordEvent(method, { backend, agent, detail });
    },
  });
  const review = createQuarantineReview({ store: quarantine, logger, limits: () => deps.live().config.quarantine, recordEvent });
  const holds: HeldCalls = {
    hold: (request) =>
      review.hold({
        held: request.held, agent: request.agent, sessionId: request.sessionId, backend: request.backend, method: request.method,
        tool: request.tool, reason: request.reason, findings: request.findings, heldStage: request.heldStage,
        callSha256: callHashOf(callOf(request)), payload: heldPayload(request),
      }),
    async waitForDecision(id, signal, onTick) {
      const totalMs = deps.live().config.quarantine.hold_s * 1000;
      const started = Date.now();
      const outcome = await review.waitForDecision(id, { timeoutMs: totalMs, signal, tickMs: 1_000, onTick: () => onTick?.(Date.now() - started, totalMs) });
      if (outcome.kind === 'pending' || outcome.kind === 'gone') return outcome;
      return { kind: outcome.kind, item: heldItem(outcome.record) };
    },
    approvalFor(request) {
      // Hashing the call costs more than the common answer: no approval is waiting at all.
      if (!review.hasUnusedApprovals()) return undefined;
      const record = review.approvalFor(callHashOf(callOf(request)), request.agent);
      return record && heldItem(record);
    },
    claim: (id) => review.claim(id),
    decideByUser(id, agent, approved) {
      review.decide(id, approved ? 'approved' : 'rejected', `${agent} (user, in the client)`, approved ? 'confirmed by the user in the client' : 'declined by the user in the client');
    },
  };
  const pinAdmin: PinAdmin = {
    listPending: () => pins.listPending().map(pinView),
    approve(id, reviewer) {
      const approved = pins.approve(id, reviewer);
      if (!approved) return undefined;
      toolGate.recheck(approved.backend, approved.tool);
      logger.info('tool definition approved', { backend: approved.backend, tool: approved.tool, pin: id, reviewer });
      recordEvent('pin.approved', { backend: approved.backend, tool: approved.tool, detail: `pin ${id} (sha256 ${approved.sha256}) by ${reviewer}` });
      return pinView(approved);
    },
  };
  return { rules, toolGate, screen, escalation: createEscalationTracker(), holds, pins, quarantine, review, pinAdmin, close: () => rules.close() };
}

function pinView(record: ToolPinRecord): PinView {
  return {
    id: record.id, backend: record.backend, tool: record.tool, sha256: record.sha256, status: record.status,
    first_seen: new Date(record.firstSeen).toISOString(), diff: record.diff,
  };
}

function openRules(config: Config, onReload: (outcome: RuleReload) => void): RuleSource {
  try {
    return openRuleSource({ dirs: config.rules.dirs, watch: true, onReload });
  } catch (error) {
    if (error instanceof RuleLoadError) throw new GatewayError('rules_invalid', error.message, error.problems);
    throw error;
  }
}

/** The held call as stored: params and result, credential findings masked, bounded. */
/** What the call hash covers: the agent, the target and the arguments (a resources/read's URI). */
function callOf(request: HoldRequest): Parameters<typeof callHashOf>[0] {
  return { agent: request.agent, backend: request.backend, tool: request.tool, arguments: request.params.arguments ?? request.params.uri ?? null };
}

function heldItem(record: QuarantineRecord): HeldItem {
  return {
    id: record.id, held: record.held, heldStage: record.heldStage, payload: record.payload,
    decisionReason: record.decisionReason, decidedBy: record.decidedBy,
  };
}

function heldPayload(request: HoldRequest & { readonly findings: readonly unknown[] }): string {
  const spans = credentialSpans(request.findings as MaskableFinding[], (pointer) => [pointer]);
  const masked = maskValue({ params: request.params, ...(request.result !== undefined ? { result: request.result } : {}) }, spans);
  const text = JSON.stringify(masked);
  return text.length > MAX_HELD_PAYLOAD_CHARS ? JSON.stringify({ truncated: true, prefix: text.slice(0, MAX_HELD_PAYLOAD_CHARS) }) : text;
}

function reportRuleReload(outcome: RuleReload, logger: Logger, recordEvent: GatewayContentDeps['recordEvent']): void {
  if (outcome.kind === 'applied') {
    logger.info('rules reloaded', { rules: outcome.rules, files: outcome.files });
    recordEvent('rules.reload', { detail: `${outcome.rules} rule(s) from ${outcome.files} file(s)` });
  } else {
    logger.error('rules edit rejected; the running rules stay', { problems: outcome.problems });
    recordEvent('rules.rejected', { detail: outcome.problems.join('\n').slice(0, 4_000) });
  }
}
