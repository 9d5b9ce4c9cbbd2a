/**
 * The guard ABI `mcp-guard/1` (DESIGN.md §4), as plain data: the envelope a guard reads, the decision it writes, and
 * the checks the host applies to what comes back. A guard is hostile input: every field of its output is bounded
 * and checked here, and anything off is a failure of that guard, never a partial decision.
 */

export const GUARD_ABI = 'mcp-guard/1';

export type GuardPhase = 'request' | 'response' | 'tools_list';
export const GUARD_PHASES: readonly GuardPhase[] = ['request', 'response', 'tools_list'];

/** The export that handles each phase. */
export const PHASE_EXPORT: Readonly<Record<GuardPhase, string>> = {
  request: 'guard_request',
  response: 'guard_response',
  tools_list: 'guard_tools_list',
};

/** What every guard call reads (`session_labels` and `config` are added per guard by the runtime). */
export interface GuardEnvelope {
  readonly phase: GuardPhase;
  readonly call_id: string;
  readonly agent: string;
  readonly backend: string | null;
  readonly tool: string | null;
  readonly arguments: unknown;
  readonly result: unknown;
  readonly tools: unknown;
}

export interface Redaction {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
}

export interface GuardDecision {
  readonly decision: 'allow' | 'deny' | 'quarantine';
  readonly code?: string;
  readonly reason?: string;
  readonly labels: readonly string[];
  readonly redactions: readonly Redaction[];
}

/** Why a guard call failed; `data.code` of a fail-closed denial is `guard_error:<kind>`. */
export type FailureKind =
  | 'trap'
  | 'timeout'
  | 'memory'
  | 'invalid_output'
  | 'oversized_output'
  | 'missing_export'
  | 'crash'
  | 'busy';

export const OUTPUT_LIMITS = {
  bytes: 65_536,
  reasonChars: 512,
  labels: 32,
  redactions: 256,
  replacementChars: 256,
} as const;

/** Labels and codes are identifiers: they end up in audit rows, metrics and other guards' input. */
export const TOKEN = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;

const DEFAULT_REPLACEMENT = '[redacted]';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Parses and checks a guard's decision output (UTF-8 bytes). */
export function parseDecision(bytes: Uint8Array): Checked<GuardDecision> {
  if (bytes.byteLength > OUTPUT_LIMITS.bytes) return { ok: false, message: `output is ${bytes.byteLength} bytes (limit ${OUTPUT_LIMITS.bytes})` };
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, message: `output is not UTF-8 JSON: ${(error as Error).message}` };
  }
  if (!isRecord(data)) return { ok: false, message: 'output is not a JSON object' };
  const { decision, code, reason, labels = [], redactions = [] } = data;
  if (decision !== 'allow' && decision !== 'deny' && decision !== 'quarantine') return { ok: false, message: 'decision must be allow, deny or quarantine' };
  if (code !== undefined && (typeof code !== 'string' || !TOKEN.test(code))) return { ok: false, message: 'code must match [a-z0-9][a-z0-9_.:-]{0,63}' };
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > OUTPUT_LIMITS.reasonChars)) {
    return { ok: false, message: `reason must be a string of at most ${OUTPUT_LIMITS.reasonChars} characters` };
  }
  if (!Array.isArray(labels) || labels.length > OUTPUT_LIMITS.labels || !labels.every((l) => typeof l === 'string' && TOKEN.test(l))) {
    return { ok: false, message: `labels must be at most ${OUTPUT_LIMITS.labels} identifiers` };
  }
  if (!Array.isArray(redactions) || redactions.length > OUTPUT_LIMITS.redactions) {
    return { ok: false, message: `redactions must be a list of at most ${OUTPUT_LIMITS.redactions}` };
  }
  const checked: Redaction[] = [];
  for (const r of redactions) {
    const one = checkRedaction(r);
    if (!one.ok) return one;
    checked.push(one.value);
  }
  return {
    ok: true,
    value: { decision, ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}), labels: labels as string[], redactions: checked },
  };
}

function checkRedaction(r: unknown): Checked<Redaction> {
  if (!isRecord(r)) return { ok: false, message: 'a redaction must be an object' };
  const { path, start, end, replacement = DEFAULT_REPLACEMENT } = r;
  if (typeof path !== 'string' || !path.startsWith('/')) return { ok: false, message: 'a redaction path must be a JSON pointer' };
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || (start as number) < 0 || (end as number) < (start as number)) {
    return { ok: false, message: 'a redaction needs integer offsets with 0 <= start <= end' };
  }
  if (typeof replacement !== 'string' || replacement.length > OUTPUT_LIMITS.replacementChars) {
    return { ok: false, message: `a replacement must be a string of at most ${OUTPUT_LIMITS.replacementChars} characters` };
  }
  return { ok: true, value: { path, start: start as number, end: end as number, replacement } };
}

/** The envelope fields a guard of each phase may rewrite. */
const REDACTABLE: Readonly<Record<GuardPhase, string>> = { request: 'arguments', response: 'result', tools_list: 'tools' };

/**
 * Applies redactions to a (mutable, JSON-cloned) envelope. A redaction outside the phase's payload, on a value that
 * is not a string, or past its end is refused as a whole: every redaction is checked before any is applied, so a
 * guard either gets all it asked for or fails with the envelope untouched. Offsets are UTF-16 code units of the
 * string as the guard read it; within one decision, redactions of one string apply from the end backwards, so each
 * offset refers to the original text.
 */
export function applyRedactions(envelope: Record<string, unknown>, phase: GuardPhase, redactions: readonly Redaction[]): Checked<number> {
  const root = REDACTABLE[phase];
  const targets: { parent: Record<string, unknown> | unknown[]; key: string; value: string; at: string; redaction: Redaction }[] = [];
  for (const redaction of redactions) {
    const tokens = parsePointer(redaction.path);
    if (!tokens || tokens[0] !== root) return { ok: false, message: `a ${phase} guard may only redact under /${root} (got ${redaction.path})` };
    const parent = walk(envelope, tokens.slice(0, -1));
    const key = tokens[tokens.length - 1]!;
    const value = containerHas(parent, key) ? (parent as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'string') return { ok: false, message: `no string at ${redaction.path}` };
    if (redaction.end > value.length) return { ok: false, message: `redaction ${redaction.start}-${redaction.end} is past the end of ${redaction.path}` };
    // The same key can be spelled differently (`~` escapes): targets are compared by their tokens, not the text.
    targets.push({ parent: parent as Record<string, unknown>, key, value, at: JSON.stringify(tokens), redaction });
  }
  // From the end backwards; on equal starts the longer span first, so an insertion at a span's start stays valid.
  targets.sort((a, b) => (a.at === b.at ? b.redaction.start - a.redaction.start || b.redaction.end - a.redaction.end : a.at < b.at ? -1 : 1));
  for (let i = 1; i < targets.length; i++) {
    const prev = targets[i - 1]!;
    const next = targets[i]!;
    if (prev.at === next.at && next.redaction.end > prev.redaction.start) return { ok: false, message: `overlapping redactions at ${next.redaction.path}` };
  }
  for (const { parent, key, redaction } of targets) {
    const current = (parent as Record<string, unknown>)[key] as string;
    (parent as Record<string, unknown>)[key] = current.slice(0, redaction.start) + redaction.replacement + current.slice(redaction.end);
  }
  return { ok: true, value: targets.length };
}

/** RFC 6901: `/a/~1b/0` → ['a', '/b', '0']; undefined when it is not a pointer (no leading `/`, or a `~` escape other than ~0 and ~1). */
export function parsePointer(pointer: string): string[] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  if (tokens.some((t) => /~(?![01])/.test(t))) return undefined;
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether `key` names an own member of a JSON object or an element of a JSON array (strings have no members). */
function containerHas(container: unknown, key: string): boolean {
  if (Array.isArray(container)) return /^(0|[1-9]\d*)$/.test(key) && Number(key) < container.length;
  return isRecord(container) && Object.hasOwn(container, key);
}

function walk(value: unknown, tokens: readonly string[]): unknown {
  let current = value;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (isRecord(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      return undefined;
    }
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `guard_describe` output. */
export interface GuardDescription {
  readonly abi: string;
  readonly name: string;
  readonly version: string;
  readonly phases: readonly GuardPhase[];
  readonly config_schema?: unknown;
}

export function parseDescription(bytes: Uint8Array): Checked<GuardDescription> {
  if (bytes.byteLength > OUTPUT_LIMITS.bytes) return { ok: false, message: 'guard_describe output is too large' };
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, message: 'guard_describe did not write UTF-8 JSON' };
  }
  if (!isRecord(data)) return { ok: false, message: 'guard_describe did not write a JSON object' };
  if (data.abi !== GUARD_ABI) return { ok: false, message: `guard_describe says abi ${JSON.stringify(data.abi)}, expected "${GUARD_ABI}"` };
  if (typeof data.name !== 'string' || typeof data.version !== 'string') return { ok: false, message: 'guard_describe needs a name and a version' };
  const phases = data.phases;
  if (!Array.isArray(phases) || !phases.every((p) => GUARD_PHASES.includes(p as GuardPhase))) {
    return { ok: false, message: `guard_describe phases must be a list of ${GUARD_PHASES.join(', ')}` };
  }
  return { ok: true, value: { abi: GUARD_ABI, name: data.name, version: data.version, phases: phases as GuardPhase[], config_schema: data.config_schema } };
}
