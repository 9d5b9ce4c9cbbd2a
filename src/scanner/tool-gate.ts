/**
 * What a client may see of a backend's tools and call (DESIGN.md §4, tool pinning; issue "rug-pull defence"):
 * - On first sight a tool's definition (name, description, input schema; RFC 8785 canonical JSON) is pinned by its
 *   SHA-256. A backend that later serves a changed definition has that tool hidden from tools/list and its calls
 *   denied until an operator approves the new version; the change is recorded with a diff.
 * - Every definition's descriptions (tool, title, parameters) are scanned on the `tool_description` surface; a tool
 *   whose findings ask for quarantine or block (for this agent) is hidden, and calls to it are denied.
 * Bounded: a hostile backend cannot grow the memory (MAX_TRACKED) or the store (see tool-pin-store.ts).
 */
import { createHash } from 'node:crypto';
import type { ToolPinStore } from '../store/tool-pin-store.js';
import { type Action, type ActionPolicy, verdictOf } from './actions.js';
import { canonicalJson } from './canonical-json.js';
import { diffDefinitions } from './definition-diff.js';
import type { RuleSet } from './rule-set.js';
import type { RuleFinding } from './scan.js';

export interface ToolGateDeps {
  readonly pins: ToolPinStore;
  readonly ruleSet: () => RuleSet;
  /** The running action policy and scan limits (they change with the config). */
  readonly scanConfig: () => { readonly actions: ActionPolicy; readonly maxScanBytes: number };
  /** An operator-visible event (audit row + log). */
  readonly onEvent: (method: string, fields: { backend: string; tool: string; detail: string }) => void;
}

export type ToolAccess = { readonly ok: true } | { readonly ok: false; readonly detail: string };

export interface ToolGate {
  /** Sees tool definitions a backend served (catalog or a tools/list page): pins new ones, records changes. */
  observe(backend: string, tools: readonly unknown[]): void;
  /** Whether `agent` may see this tool in a list (call observe first). */
  isVisible(backend: string, tool: unknown, agent: string): boolean;
  /** Whether `agent` may call backend/tool, by its last seen definition. */
  callable(backend: string, tool: string, agent: string): ToolAccess;
  /** Re-reads the pin of a tool (after an operator approved its new definition). */
  recheck(backend: string, tool: string): void;
}

/** Largest canonical definition accepted; a larger one is hidden, not hashed. */
const MAX_DEFINITION_CHARS = 256 * 1024;
const MAX_TRACKED = 100_000;

interface Seen {
  readonly sha256: string;
  readonly status: 'pinned' | 'changed' | 'unpinnable' | 'invalid';
  readonly described: unknown;
  /** Raw findings of the descriptions, for the rule set they were computed with. */
  findings?: { readonly set: RuleSet; readonly list: readonly RuleFinding[] };
}

export function createToolGate(deps: ToolGateDeps): ToolGate {
  const seen = new Map<string, Seen>();
  const reported = new Set<string>();

  const remember = (key: string, entry: Seen): Seen => {
    seen.delete(key);
    seen.set(key, entry);
    if (seen.size > MAX_TRACKED) seen.delete(seen.keys().next().value as string);
    return entry;
  };

  const observeOne = (backend: string, tool: unknown): Seen | undefined => {
    if (typeof tool !== 'object' || tool === null || typeof (tool as { name?: unknown }).name !== 'string') return undefined;
    const record = tool as Record<string, unknown>;
    const name = record.name as string;
    const key = `${backend}\u0000${name}`;
    const canonical = canonicalJson({ name, description: record.description ?? null, inputSchema: record.inputSchema ?? null });
    if (canonical === undefined || canonical.length > MAX_DEFINITION_CHARS) {
      return remember(key, { sha256: '', status: 'invalid', described: {} });
    }
    const sha256 = createHash('sha256').update(canonical).digest('hex');
    const previous = seen.get(key);
    if (previous?.sha256 === sha256 && previous.status !== 'changed') return previous;
    let status: Seen['status'];
    try {
      status = pinStatus(backend, name, sha256, canonical);
    } catch (error) {
      // The pin store failed: show nothing it could not check (fail closed), and say so.
      deps.onEvent('tool.unpinned', { backend, tool: name, detail: `pin store failed: ${error instanceof Error ? error.message : String(error)}` });
      return { sha256, status: 'invalid', described: {} };
    }
    return remember(key, { sha256, status, described: describedText(record) });
  };

  const pinStatus = (backend: string, name: string, sha256: string, canonical: string): Seen['status'] => {
    const approved = deps.pins.approved(backend, name);
    if (!approved) return deps.pins.pinFirstSight(backend, name, sha256, canonical) ? 'pinned' : 'unpinnable';
    if (approved.sha256 === sha256) return 'pinned';
    const pending = deps.pins.pending(backend, name);
    if (pending?.sha256 !== sha256) {
      const record = deps.pins.recordChange(backend, name, sha256, canonical, diffDefinitions(approved.definition, canonical));
      deps.onEvent('tool.changed', { backend, tool: name, detail: `definition changed (pin ${record.id} awaits approval: portcullis pins approve ${record.id})` });
    }
    return 'changed';
  };

  const findingsOf = (entry: Seen): readonly RuleFinding[] => {
    const set = deps.ruleSet();
    if (entry.findings?.set !== set) {
      const { maxScanBytes } = deps.scanConfig();
      entry.findings = { set, list: set.scan(entry.described, 'tool_description', { limits: { maxScanBytes } }).findings };
    }
    return entry.findings.list;
  };

  const access = (backend: string, name: string, entry: Seen | undefined, agent: string): ToolAccess => {
    if (!entry) return { ok: true };
    switch (entry.status) {
      case 'changed':
        return { ok: false, detail: `tool ${backend}/${name} changed its definition; awaiting approval (portcullis pins list)` };
      case 'unpinnable':
        return { ok: false, detail: `tool ${backend}/${name} could not be pinned (too many tools on this backend)` };
      case 'invalid':
        return { ok: false, detail: `tool ${backend}/${name} has a definition that cannot be pinned` };
      case 'pinned':
        break;
    }
    // The raw scan is cached per definition; the actions depend on the agent and the running config.
    const acted = deps.scanConfig().actions.act(findingsOf(entry), { agent, target: { backend, kind: 'tool', name } });
    const verdict: Action | 'clean' = verdictOf(acted);
    if (verdict !== 'quarantine' && verdict !== 'block') return { ok: true };
    const rules = [...new Set(acted.map((f) => f.rule))].join(', ');
    const reportKey = `${backend}\u0000${entry.sha256}`;
    if (!reported.has(reportKey) && reported.size < MAX_TRACKED) {
      reported.add(reportKey);
      deps.onEvent('tool.hidden', { backend, tool: name, detail: `description findings: ${rules}` });
    }
    return { ok: false, detail: `tool ${backend}/${name} hidden: its description matched ${rules}` };
  };

  return {
    observe(backend, tools) {
      for (const tool of tools) observeOne(backend, tool);
    },
    isVisible(backend, tool, agent) {
      const entry = observeOne(backend, tool);
      if (!entry) return false;
      return access(backend, (tool as { name: string }).name, entry, agent).ok;
    },
    callable(backend, tool, agent) {
      return access(backend, tool, seen.get(`${backend}\u0000${tool}`), agent);
    },
    recheck(backend, tool) {
      const key = `${backend}\u0000${tool}`;
      const entry = seen.get(key);
      if (entry?.status !== 'changed') return;
      if (deps.pins.approved(backend, tool)?.sha256 === entry.sha256) remember(key, { ...entry, status: 'pinned' });
    },
  };
}

/** The human-readable text of a definition (description, title, and those of every schema node), keeping paths. */
export function describedText(tool: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const key of ['description', 'title'] as const) if (typeof tool[key] === 'string') out[key] = tool[key];
  const annotations = tool.annotations as Record<string, unknown> | undefined;
  if (typeof annotations?.title === 'string') out.annotations = { title: annotations.title };
  for (const key of ['inputSchema', 'outputSchema'] as const) {
    const texts = schemaTexts(tool[key], 0);
    if (texts !== undefined) out[key] = texts;
  }
  return out;
}

function schemaTexts(node: unknown, depth: number): unknown {
  if (depth > 32 || typeof node !== 'object' || node === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'description' || key === 'title') && typeof value === 'string') out[key] = value;
    else if (typeof value === 'object' && value !== null) {
      const inner = schemaTexts(value, depth + 1);
      if (inner !== undefined) out[key] = inner;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
