/**
 * Reads ../shared/corpora/dev.jsonl and maps each row to what the scanner sees (its README, "Mapping rows to the
 * scanner"): the scanner surface, the scanner category, and which gate the row counts toward.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Surface } from '../../src/scanner/rule-schema.js';

export interface CorpusRow {
  readonly text: string;
  readonly label: 0 | 1;
  readonly dataset: string;
  /** Scanner category (credential-leak, pii, ...), `benign`, or a label the scanner does not judge. */
  readonly category: string;
  readonly rawCategory: string;
  readonly surface: Surface;
  readonly ruleId?: string;
  readonly entity?: string;
  readonly overt?: boolean;
}

const SURFACES: Readonly<Record<string, Surface>> = {
  tool_result: 'tool_result',
  tool_description: 'tool_description',
  tool_param_description: 'tool_description',
  prompt_description: 'tool_description',
  server_instructions: 'server_instructions',
  tool_call_args: 'tool_args',
};

const CATEGORIES: Readonly<Record<string, string>> = {
  secret: 'credential-leak',
  pii: 'pii',
  prompt_injection: 'prompt-injection',
  jailbreak: 'prompt-injection',
  tool_poisoning: 'tool-poisoning',
  tool_shadowing: 'tool-poisoning',
  unicode: 'unicode-attack',
  dangerous_command: 'command-execution',
  sql_injection: 'command-execution',
  ssrf: 'ssrf',
  credential_access: 'exfiltration',
  xss: 'xss (reported apart)',
  function_overlapping: 'not visible to content rules',
  preference_manipulation: 'not visible to content rules',
};

export function readCorpus(file: string): CorpusRow[] | undefined {
  if (!existsSync(file)) return undefined;
  const rows: CorpusRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const raw = JSON.parse(line) as Record<string, unknown>;
    const rawCategory = String(raw.category ?? '');
    const head = rawCategory.split('/')[0] ?? '';
    const label = raw.label === 1 ? 1 : 0;
    rows.push({
      text: String(raw.text ?? ''),
      label,
      dataset: String(raw.dataset ?? 'unknown'),
      rawCategory,
      category: label === 0 ? 'benign' : (CATEGORIES[head] ?? head),
      surface: SURFACES[String(raw.surface ?? '')] ?? 'message',
      ...(typeof raw.rule_id === 'string' ? { ruleId: raw.rule_id } : {}),
      ...(typeof raw.entity === 'string' ? { entity: raw.entity } : {}),
      ...(typeof raw.attack_is_overtly_malicious === 'boolean' ? { overt: raw.attack_is_overtly_malicious } : {}),
    });
  }
  return rows;
}
