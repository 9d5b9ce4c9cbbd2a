/**
 * Masks what credential findings matched before a payload is stored (DESIGN.md §4: a credential finding's matched
 * text is masked in the stored audit payload). The first four characters stay, so an operator can tell which key
 * leaked; the rest is replaced. Pure: returns a masked copy and leaves the input alone.
 */

export interface MaskSpan {
  /** RFC 6901 pointer to the string, relative to the value being masked. */
  readonly pointer: string;
  readonly start: number;
  readonly end: number;
}

/** Categories whose matched text never reaches storage in clear. */
export const MASKED_CATEGORIES: ReadonlySet<string> = new Set(['credential-leak']);

const KEEP = 4;

export function maskValue<T>(value: T, spans: readonly MaskSpan[]): T {
  if (spans.length === 0) return value;
  const copy = structuredClone(value);
  const byPointer = new Map<string, MaskSpan[]>();
  for (const span of spans) byPointer.set(span.pointer, [...(byPointer.get(span.pointer) ?? []), span]);
  let root: unknown = copy;
  for (const [pointer, list] of byPointer) {
    const segments = parsePointer(pointer);
    if (segments.length === 0) {
      if (typeof root === 'string') root = maskString(root, list);
      continue;
    }
    const parent = walk(root, segments.slice(0, -1));
    const last = segments[segments.length - 1] as string;
    if (typeof parent !== 'object' || parent === null) continue;
    const holder = parent as Record<string, unknown>;
    if (typeof holder[last] === 'string') holder[last] = maskString(holder[last], list);
  }
  return root as T;
}

/** Masks spans of one string, last first so earlier offsets stay valid. */
export function maskString(text: string, spans: readonly { start: number; end: number }[]): string {
  let out = text;
  for (const { start, end } of [...spans].sort((a, b) => b.start - a.start)) {
    if (start < 0 || end > out.length || end <= start) continue;
    const kept = out.slice(start, Math.min(end, start + Math.min(KEEP, Math.floor((end - start) / 4))));
    out = `${out.slice(0, start)}${kept}[masked:${end - start - kept.length}]${out.slice(end)}`;
  }
  return out;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** What a finding needs for masking (the pipeline's Finding has these fields). */
export interface MaskableFinding {
  readonly category?: string;
  readonly pointer?: string;
  readonly start?: number;
  readonly end?: number;
}

/**
 * The spans to mask for credential findings, with each finding's message-rooted pointer (`/params/...`,
 * `/result/...`) rewritten by `rebase` into pointers of the stored value (none, one or several).
 */
export function credentialSpans(findings: readonly MaskableFinding[], rebase: (pointer: string) => readonly string[]): MaskSpan[] {
  const spans: MaskSpan[] = [];
  for (const { category, pointer, start = 0, end = 0 } of findings) {
    if (category === undefined || !MASKED_CATEGORIES.has(category) || pointer === undefined) continue;
    for (const rebased of rebase(pointer)) spans.push({ pointer: rebased, start, end });
  }
  return spans;
}

/** `/params/x` → `${to}/x` when `pointer` is under `from`; otherwise nothing. */
export function rebasePointer(pointer: string, from: string, to: string): string[] {
  return pointer === from || pointer.startsWith(`${from}/`) ? [`${to}${pointer.slice(from.length)}`] : [];
}
