/**
 * Loads `portcullis.yaml`: YAML → `${VAR}` expansion → schema → paths resolved against the config file's directory →
 * directory checks → a deep-frozen config. Every problem is reported at once, each with file, line and config path.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isNode, parseDocument, visit } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import { findPolicyProblems } from '../access/policy.js';
import { findOverrideProblems } from '../scanner/actions.js';
import { deepFreeze } from './deep-freeze.js';
import { describeIssue, formatPath, keyString, locate, valueAt } from './describe.js';
import type { Anchor, ConfigProblem, PathSegment } from './describe.js';
import { expandDocumentEnv } from './env.js';
import type { Env } from './env.js';
import { configSchema } from './schema.js';
import type { Config } from './schema.js';

export { formatProblem } from './describe.js';
export type { ConfigProblem } from './describe.js';
export type { Env } from './env.js';

export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: ConfigProblem[] };

interface Source {
  file: string;
  text: string;
  doc: Document;
  lineCounter: LineCounter;
}

interface DirectoryTarget {
  path: PathSegment[];
  value: string;
  explicit: boolean;
}

const DEFAULTS = configSchema.parse({});
// Far above any real config, far below what an alias bomb ("billion laughs") expands to.
const MAX_ALIAS_COUNT = 100;

/** Reads and loads a config file; a missing or unreadable file is a problem like any other. */
export function loadConfig(file: string, env: Env): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [{ file, path: '', message: `cannot read the config file: ${reason}` }] };
  }
  return parseConfigText(text, file, env);
}

/** Loads config text as if read from `file` (relative paths resolve against its directory). */
export function parseConfigText(text: string, file: string, env: Env): LoadResult {
  const lineCounter = new LineCounter();
  // logLevel 'error': YAML warnings are collected below, not printed to the console.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error' });
  const source: Source = { file, text, doc, lineCounter };
  const syntax = firstPerLine([...doc.errors, ...doc.warnings].map((error) => yamlProblem(source, error)));
  syntax.push(...unresolvedAliases(source));
  if (syntax.length > 0) return failure(syntax);

  const envProblems = expandDocumentEnv(doc, env).map((p) => problemAt(source, p.path, p.message));
  const data = toData(source);
  if (!data.ok) return failure([...envProblems, data.problem]);

  const baseDir = dirname(resolve(file));
  const checked = validate(source, data.value);
  const directories = checkDirectories(source, data.value, baseDir);
  // A scalar whose ${VAR} failed still holds the raw reference: its schema or directory error would be noise.
  const unexpanded = new Set(envProblems.map((p) => p.path));
  const later = [...checked.problems, ...directories.problems].filter((p) => !unexpanded.has(p.path));
  const problems = [...envProblems, ...later];
  if (problems.length > 0 || checked.config === undefined) return failure(problems);
  // Policy globs are checked here, not at first use, so a bad one is an error with its line like any other.
  const policy = [...findPolicyProblems(checked.config), ...findOverrideProblems(checked.config.rules)].map((p) =>
    problemAt(source, p.path, p.message, 'value'),
  );
  if (policy.length > 0) return failure(policy);
  return { ok: true, config: deepFreeze(resolvePaths(checked.config, baseDir)), warnings: directories.warnings };
}

function failure(problems: ConfigProblem[]): LoadResult {
  const order = (p: ConfigProblem): number => (p.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (p.column ?? 0);
  return { ok: false, errors: [...problems].sort((a, b) => order(a) - order(b)) };
}

function problemAt(source: Source, path: readonly PathSegment[], message: string, anchor?: Anchor): ConfigProblem {
  const position = locate(source.doc, source.lineCounter, path, anchor);
  return { file: source.file, ...(position ?? {}), path: formatPath(path), message };
}

function yamlProblem(source: Source, error: YAMLError): ConfigProblem {
  const [start] = error.pos;
  const { line, col } = source.lineCounter.linePos(start);
  const message =
    error.code === 'DUPLICATE_KEY'
      ? `duplicate key "${keyStartingAt(source.doc, start)}" (a key may appear only once in a map)`
      : error.message;
  const lineText = source.text.split(/\r?\n/)[line - 1] ?? '';
  // `{ a: ${X} }` is a YAML syntax error: `{` and `}` are flow indicators. Say so, the parser's message does not.
  const hint =
    /\$\{/.test(lineText) && /[[{]/.test(lineText) ? ' (inside [ ] or { }, quote a reference: "${VAR}")' : '';
  return { file: source.file, line, column: col, path: '', message: message + hint };
}

// One mistake often makes the parser report several errors on its line; the first one is the useful one.
function firstPerLine(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<number | undefined>();
  return problems.filter((p) => !seen.has(p.line) && seen.add(p.line));
}

function keyStartingAt(doc: Document, offset: number): string {
  let found = '';
  visit(doc, {
    Pair(_key, pair) {
      if (!isNode(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      found = keyString(pair.key);
      return visit.BREAK;
    },
  });
  return found;
}

// yaml throws on these only when converting to JS, without a position; find them first to report their line.
function unresolvedAliases(source: Source): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(source.doc, {
    Alias(_key, node) {
      if (node.resolve(source.doc) !== undefined) return;
      const { line, col } = source.lineCounter.linePos(node.range?.[0] ?? 0);
      const message = `unknown alias "*${node.source}" (the anchor "&${node.source}" must come before it)`;
      problems.push({ file: source.file, line, column: col, path: '', message });
    },
  });
  return problems;
}

function toData(source: Source): { ok: true; value: unknown } | { ok: false; problem: ConfigProblem } {
  const fail = (message: string) => ({ ok: false as const, problem: { file: source.file, path: '', message } });
  try {
    const value: unknown = source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
    return isCyclic(value, new Set()) ? fail('an alias refers to its own ancestor (a cycle)') : { ok: true, value };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

function isCyclic(value: unknown, ancestors: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const cyclic = Object.values(value).some((child) => isCyclic(child, ancestors));
  ancestors.delete(value);
  return cyclic;
}

function validate(source: Source, data: unknown): { config?: Config; problems: ConfigProblem[] } {
  const result = configSchema.safeParse(data);
  if (result.success) return { config: result.data, problems: [] };
  const problems = result.error.issues
    .flatMap((issue) => describeIssue(issue, configSchema, data))
    .map((issue) => problemAt(source, issue.path, issue.message, issue.anchor));
  return { problems };
}

/** The directories the config names, from the raw data so they are checked even when the schema fails elsewhere. */
function directoryTargets(data: unknown): DirectoryTarget[] {
  const targets: DirectoryTarget[] = [];
  const addSingle = (path: PathSegment[], fallback: string): void => {
    const value = valueAt(data, path);
    if (typeof value === 'string') targets.push({ path, value, explicit: true });
    else if (value === undefined) targets.push({ path, value: fallback, explicit: false });
  };
  addSingle(['identity', 'keys_dir'], DEFAULTS.identity.keys_dir);
  addSingle(['guards', 'dir'], DEFAULTS.guards.dir);

  const dirs = valueAt(data, ['rules', 'dirs']);
  const explicit = Array.isArray(dirs);
  const ruleDirs: unknown[] = explicit ? dirs : dirs === undefined ? DEFAULTS.rules.dirs : [];
  ruleDirs.forEach((value, index) => {
    if (typeof value === 'string') targets.push({ path: ['rules', 'dirs', index], value, explicit });
  });

  const backends = valueAt(data, ['backends']);
  for (const id of typeof backends === 'object' && backends !== null ? Object.keys(backends) : []) {
    const cwd = valueAt(data, ['backends', id, 'cwd']);
    if (typeof cwd === 'string') targets.push({ path: ['backends', id, 'cwd'], value: cwd, explicit: true });
  }
  return targets;
}

/** A default directory that is missing is empty (a warning); one the config names must exist (an error). */
function checkDirectories(
  source: Source,
  data: unknown,
  baseDir: string,
): { problems: ConfigProblem[]; warnings: string[] } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  for (const target of directoryTargets(data)) {
    const absolute = resolve(baseDir, target.value);
    const kind = directoryKind(absolute);
    if (kind === 'directory') continue;
    if (kind === 'missing' && !target.explicit) {
      warnings.push(
        `${source.file}: ${formatPath(target.path)}: default directory ${absolute} does not exist; treated as empty`,
      );
      continue;
    }
    const message = {
      missing: `directory ${absolute} does not exist`,
      other: `${absolute} is not a directory`,
      unreadable: `cannot access ${absolute}`,
    }[kind];
    problems.push(problemAt(source, target.path, message));
  }
  return { problems, warnings };
}

function directoryKind(path: string): 'directory' | 'missing' | 'other' | 'unreadable' {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return 'missing';
    return stats.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'unreadable';
  }
}

/** Makes every path in the config absolute, relative to the config file's directory (DESIGN.md §4). */
function resolvePaths(config: Config, baseDir: string): Config {
  const absolute = (path: string): string => resolve(baseDir, path);
  const backends = Object.entries(config.backends).map(([id, backend]) => [
    id,
    // A stdio backend always gets a cwd, so a relative script path in its args means the same on every start.
    backend.transport === 'stdio' ? { ...backend, cwd: absolute(backend.cwd ?? '.') } : backend,
  ]);
  return {
    ...config,
    // ':memory:' is SQLite's name for an in-memory database, not a file.
    storage: {
      ...config.storage,
      sqlite: config.storage.sqlite === ':memory:' ? ':memory:' : absolute(config.storage.sqlite),
    },
    identity: { ...config.identity, keys_dir: absolute(config.identity.keys_dir) },
    rules: { ...config.rules, dirs: config.rules.dirs.map(absolute) },
    guards: { ...config.guards, dir: absolute(config.guards.dir) },
    backends: Object.fromEntries(backends) as Config['backends'],
  };
}
