/**
 * `npm run eval`: runs the scanner, with the shipped rules and default actions, over the labeled corpus and prints
 * detection and false-positive rates per source and category, the gates, and throughput. A detection is a verdict of
 * flag or stronger. `--write` also writes docs/scanner-eval.md; `--show misses|fps` prints rows to learn from
 * (`--full` for their whole text).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configSchema } from '../../src/config/schema.js';
import { createActionPolicy } from '../../src/scanner/actions.js';
import { judge } from '../../src/scanner/judge.js';
import { loadRuleDirs } from '../../src/scanner/load-rules.js';
import { createRuleSet } from '../../src/scanner/rule-set.js';
import { formatRuleProblem } from '../../src/scanner/rule-source.js';
import { readCorpus } from './corpus.js';
import { type ScoredRow, computeGates } from './gates.js';
import { renderMarkdown, renderText } from './report.js';

const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const CORPUS = join(REPO_ROOT, '..', 'shared', 'corpora', 'dev.jsonl');
const DETECTED = new Set(['flag', 'quarantine', 'block']);

const { values } = parseArgs({
  options: {
    write: { type: 'boolean' },
    show: { type: 'string' },
    dataset: { type: 'string' },
    category: { type: 'string' },
    limit: { type: 'string', default: '20' },
    full: { type: 'boolean' },
    corpus: { type: 'string', default: CORPUS },
  },
});

const rows = readCorpus(values.corpus as string);
if (!rows) {
  console.log(`eval skipped: no corpus at ${values.corpus} (see ../shared/corpora/README.md)`);
  process.exit(0);
}
const loaded = loadRuleDirs([join(REPO_ROOT, 'rules')]);
if (loaded.problems.length > 0) {
  for (const problem of loaded.problems) console.error(formatRuleProblem(problem));
  process.exit(1);
}
const config = configSchema.parse({});
const options = {
  rules: createRuleSet(loaded.rules),
  actions: createActionPolicy(config),
  maxScanBytes: config.rules.max_scan_bytes,
  oversizeAction: config.rules.oversize_action,
};

const started = performance.now();
let chars = 0;
const scored: ScoredRow[] = rows.map((row) => {
  const judged = judge(options, row.text, row.surface, {});
  chars += row.text.length;
  const rules = judged.findings.filter((f) => DETECTED.has(f.action)).map((f) => f.rule);
  return { ...row, detected: DETECTED.has(judged.verdict), rules: [...new Set(rules)] };
});
const seconds = (performance.now() - started) / 1000;
const throughput = { rows: rows.length, mib: chars / 1_048_576, seconds, rules: loaded.rules.length };
const gates = computeGates(scored);

if (typeof values.show === 'string') {
  const wantMisses = values.show === 'misses';
  const picked = scored.filter(
    (r) =>
      (wantMisses ? r.label === 1 && !r.detected : r.label === 0 && r.detected) &&
      (values.dataset === undefined || r.dataset === values.dataset) &&
      (values.category === undefined || r.category === values.category || r.rawCategory.startsWith(values.category)),
  );
  for (const row of picked.slice(0, Number(values.limit))) {
    console.log(JSON.stringify({ dataset: row.dataset, category: row.rawCategory, surface: row.surface, rule_id: row.ruleId, entity: row.entity, rules: row.rules, text: values.full ? row.text : row.text.slice(0, 400) }));
  }
  console.log(`${picked.length} row(s)`);
} else {
  console.log(renderText(scored, gates, throughput));
  if (values.write) writeFileSync(join(REPO_ROOT, 'docs', 'scanner-eval.md'), renderMarkdown(scored, gates, throughput));
}
