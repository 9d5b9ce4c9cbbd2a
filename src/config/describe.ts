/**
 * Turns config problems into messages an operator can act on: `file:line:col: path: message`, with the line of the
 * YAML node the problem is about and a "did you mean" for misspelled keys.
 */
import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { z } from 'zod';

/** One thing wrong with a config file; `path` is the dotted config path (`server.port`, `rules.dirs[0]`). */
export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** Where a problem points: at the key itself (unknown key, bad record key) or at its value. */
export type Anchor = 'key' | 'value';

export interface DescribedIssue {
  path: PathSegment[];
  anchor: Anchor;
  message: string;
}

/** Formats a problem as `file:line:col: path: message` (parts that are unknown are left out). */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path === '' ? `${where}: ${problem.message}` : `${where}: ${problem.path}: ${problem.message}`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Formats a path as written in YAML terms: `backends.files.url`, `rules.dirs[0]`, `agents["bot.v2"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The string a YAML map key becomes in the parsed object (what zod paths name). */
export function keyString(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

/**
 * The position of a config path in the document. A path that is not written (a missing key) points at its nearest
 * written ancestor's key, which is where the operator has to add it.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  anchor: Anchor = 'value',
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const isLast = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyString(item.key) === String(segment));
      if (!pair) break;
      const valueStart = isLast && anchor === 'value' ? rangeStart(pair.value) : undefined;
      offset = valueStart ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** The value at a path of plain parsed data, or undefined. */
export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

/** Rewrites one zod issue into operator-facing problems (an unknown-keys issue becomes one per key). */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, data: unknown): DescribedIssue[] {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeysAt(schema, path, data);
    return issue.keys.map((key) => ({
      path: [...path, key],
      anchor: 'key' as const,
      message: `unknown key "${key}"${suggest(key, known)}`,
    }));
  }
  if (issue.code === 'invalid_key') {
    return [{ path, anchor: 'key', message: issue.issues.map((inner) => inner.message).join('; ') }];
  }
  if (issue.code === 'invalid_type' && path.length > 0 && valueAt(data, path) === undefined) {
    return [{ path, anchor: 'value', message: `missing required key "${String(path.at(-1))}"` }];
  }
  return [{ path, anchor: 'value', message: issue.message }];
}

/** The keys the strict object at `path` accepts, following the data through unions; [] when not an object. */
function objectKeysAt(schema: z.ZodType, path: readonly PathSegment[], data: unknown): string[] {
  let current: unknown = unwrap(schema, data);
  for (const [index, segment] of path.entries()) {
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, unknown>)[String(segment)];
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else if (current instanceof z.ZodArray) current = current.element;
    else return [];
    current = unwrap(current, valueAt(data, path.slice(0, index + 1)));
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape as object) : [];
}

function unwrap(schema: unknown, data: unknown): unknown {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
      current = current.unwrap();
    } else if (current instanceof z.ZodDiscriminatedUnion) {
      current = pickOption(current, data);
    } else return current;
  }
}

function pickOption(union: z.ZodDiscriminatedUnion, data: unknown): unknown {
  const discriminator = union._zod.def.discriminator;
  const wanted = valueAt(data, [discriminator]);
  return union.options.find((option) => {
    const literal =
      option instanceof z.ZodObject ? (option.shape as Record<string, unknown>)[discriminator] : undefined;
    return literal instanceof z.ZodLiteral && literal.values.has(wanted as z.core.util.Literal);
  });
}

/** ` (did you mean "port"?)` when a known key is a small typo away, else ''. */
function suggest(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const closeEnough = bestDistance <= Math.min(2, key.length - 1);
  return best !== undefined && closeEnough ? ` (did you mean "${best}"?)` : '';
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent swaps, so "prot" is one edit from "port". */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}
