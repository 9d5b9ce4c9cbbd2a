/** `portcullis rules list | explain ID | test`: what the loaded rules are, one rule in full, and their examples. */
import { stringify } from 'yaml';
import { SEVERITY_ACTIONS } from '../scanner/actions.js';
import { checkExamples } from '../scanner/rule-set.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadRulesForCli } from './load-rules.js';

export const RULES_HELP = `Usage: portcullis rules list [--json]
       portcullis rules explain ID
       portcullis rules test

  list      every loaded rule: id, category, severity, default action, surfaces, name
  explain   one rule in full: patterns, keywords, normalization, validator, examples, overrides that apply
  test      runs every rule's examples through the full engine; exits 1 when any fails

Rules are read from rules.dirs of the config (default ./rules relative to it). A rules file that does not load
is reported file:line, and the command exits 1.

Options:
  --json         (list) one JSON object per line
  --config FILE  config file (default config/portcullis.yaml)
`;

export async function runRules(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, 2);
  if (values.help) return io.out(RULES_HELP), EXIT.ok;
  const [sub, id] = positionals;
  if (sub !== 'list' && sub !== 'explain' && sub !== 'test') throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand');
  if (sub === 'explain' && !id) throw new UsageError('explain takes a rule id');
  if (sub !== 'explain' && id) throw new UsageError(`unexpected argument: ${id}`);
  const loaded = loadRulesForCli(configPathFrom(values, io.env), io);
  if (!loaded) return EXIT.userError;
  const { rules } = loaded.judge;
  switch (sub) {
    case 'list':
      for (const { rule } of rules.rules) {
        const row = { id: rule.id, category: rule.category, severity: rule.severity, action: SEVERITY_ACTIONS[rule.severity], surfaces: rule.surfaces, name: rule.name };
        io.out(values.json ? `${JSON.stringify(row)}\n` : `${rule.id.padEnd(10)} ${rule.category.padEnd(18)} ${rule.severity.padEnd(8)} ${row.action.padEnd(10)} ${rule.name}\n`);
      }
      if (!values.json) io.out(`${rules.rules.length} rule(s) from ${loaded.files.length} file(s)\n`);
      return EXIT.ok;
    case 'explain': {
      const found = rules.find(id as string);
      if (!found) return io.err(`no rule ${id} (portcullis rules list shows the loaded ones)\n`), EXIT.userError;
      const overrides = loaded.config.rules.overrides.filter((o) => o.id === found.rule.id);
      io.out(stringify({ ...found.rule, default_action: SEVERITY_ACTIONS[found.rule.severity], ...(overrides.length ? { overrides } : {}) }));
      return EXIT.ok;
    }
    case 'test': {
      const failures = checkExamples(rules.rules, rules);
      for (const failure of failures) io.err(`FAIL ${failure.message}\n`);
      const examples = rules.rules.reduce((n, r) => n + r.rule.examples.match.length + r.rule.examples.no_match.length, 0);
      io.out(`${rules.rules.length} rule(s), ${examples} example(s): ${failures.length === 0 ? 'all pass' : `${failures.length} failed`}\n`);
      return failures.length === 0 ? EXIT.ok : EXIT.userError;
    }
  }
}
