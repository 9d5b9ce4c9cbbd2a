/**
 * Loads `rules/*.yaml` from the configured directories: YAML → strict schema → compile → each rule's own examples run
 * through the full engine. A file with any problem is refused whole and every problem is reported as
 * `file:line:col: path: message`, so a broken edit never half-applies (the caller keeps the running set).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type ConfigProblem, describeIssue, formatPath, locate } from '../config/describe.js';
import { type CompiledRule, RuleCompileError, compileRule } from './compile.js';
import { type Rule, ruleFileSchema } from './rule-schema.js';
import { checkExamples } from './rule-set.js';

export type RuleProblem = ConfigProblem;

export interface LoadedRules {
  readonly rules: readonly CompiledRule[];
  readonly files: readonly string[];
  readonly problems: readonly RuleProblem[];
}

/** Bounds on what a rules directory may hold: a rules file is input, not trusted code. */
export const RULE_LIMITS = { fileBytes: 1_048_576, files: 256, rules: 10_000 } as const;

/** Loads every `*.yaml`/`*.yml` file of `dirs` (sorted by name); a directory that does not exist holds none. */
export function loadRuleDirs(dirs: readonly string[]): LoadedRules {
  const rules: CompiledRule[] = [];
  const files: string[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
    } catch (error) {
      // A default directory that does not exist is empty (the config loader warns, and refuses a missing directory
      // the config names explicitly).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      problems.push({ file: dir, path: '', message: `cannot read the rules directory: ${(error as Error).message}` });
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      if (files.length >= RULE_LIMITS.files) {
        problems.push({ file, path: '', message: `more than ${RULE_LIMITS.files} rule files: not loaded` });
        break;
      }
      files.push(file);
      const loaded = loadRuleFile(file);
      problems.push(...loaded.problems);
      if (loaded.problems.length > 0) continue;
      for (const [index, rule] of loaded.rules.entries()) {
        const other = seen.get(rule.rule.id);
        if (other !== undefined) {
          problems.push({ file, path: `[${index}].id`, message: `duplicate rule id ${rule.rule.id} (also in ${other})` });
          continue;
        }
        seen.set(rule.rule.id, file);
        rules.push(rule);
      }
    }
  }
  if (rules.length > RULE_LIMITS.rules) problems.push({ file: dirs.join(', '), path: '', message: `more than ${RULE_LIMITS.rules} rules` });
  return { rules, files, problems };
}

/** Loads one rules file; any problem refuses the whole file. */
export function loadRuleFile(file: string): { rules: readonly CompiledRule[]; problems: readonly RuleProblem[] } {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > RULE_LIMITS.fileBytes) return { rules: [], problems: [{ file, path: '', message: `larger than ${RULE_LIMITS.fileBytes} bytes` }] };
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { rules: [], problems: [{ file, path: '', message: `cannot read: ${(error as Error).message}` }] };
  }
  return parseRuleText(text, file);
}

/** Parses, validates and compiles the text of one rules file. */
export function parseRuleText(text: string, file: string): { rules: readonly CompiledRule[]; problems: readonly RuleProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      rules: [],
      problems: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: error.message.split('\n')[0] ?? error.message };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? [];
  } catch (error) {
    return { rules: [], problems: [{ file, path: '', message: (error as Error).message }] };
  }
  const at = (path: readonly (string | number)[], message: string, anchor: 'key' | 'value' = 'value'): RuleProblem => ({
    file, ...(locate(doc, lineCounter, path, anchor) ?? {}), path: formatPath(path), message,
  });
  const parsed = ruleFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, ruleFileSchema, data)).map((d) => at(d.path, d.message, d.anchor));
    return { rules: [], problems };
  }
  const rules: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  for (const [index, rule] of parsed.data.entries()) {
    const compiled = compileOne(rule, index, at);
    if ('problem' in compiled) problems.push(compiled.problem);
    else rules.push(compiled.rule);
  }
  // A rule whose own examples fail is broken (a typo in a pattern, a prefilter keyword that hides it): refuse it.
  for (const failure of checkExamples(rules)) {
    const index = parsed.data.findIndex((r) => r.id === failure.rule);
    problems.push(at([index, 'examples', failure.expected ? 'match' : 'no_match', failure.index], failure.message));
  }
  return problems.length > 0 ? { rules: [], problems } : { rules, problems: [] };
}

function compileOne(
  rule: Rule,
  index: number,
  at: (path: readonly (string | number)[], message: string) => RuleProblem,
): { rule: CompiledRule } | { problem: RuleProblem } {
  try {
    return { rule: compileRule(rule) };
  } catch (error) {
    if (!(error instanceof RuleCompileError)) throw error;
    const patternIndex = Number(/patterns\[(\d+)\]/.exec(error.message)?.[1] ?? 0);
    return { problem: at([index, 'patterns', patternIndex], error.message.replace(/^patterns\[\d+\]: /, '')) };
  }
}
