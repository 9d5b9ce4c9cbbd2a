/** The gates of ../shared/corpora/README.md ("What the scanner is held to"), computed from scored rows. */
import type { CorpusRow } from './corpus.js';

export interface ScoredRow extends CorpusRow {
  readonly detected: boolean;
  readonly rules: readonly string[];
}

export interface GateResult {
  readonly gate: string;
  readonly goal: string;
  readonly value: number;
  readonly count: number;
  readonly pass: boolean;
}

const STRUCTURED_PII = new Set(['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS']);

function rate(rows: readonly ScoredRow[]): number {
  return rows.length === 0 ? Number.NaN : rows.filter((r) => r.detected).length / rows.length;
}

function recallGate(gate: string, min: number, rows: readonly ScoredRow[]): GateResult {
  const value = rate(rows);
  return { gate, goal: `≥ ${min.toFixed(2)}`, value, count: rows.length, pass: value >= min };
}

function fpGate(gate: string, max: number, rows: readonly ScoredRow[]): GateResult {
  const value = rate(rows);
  return { gate, goal: `≤ ${max.toFixed(2)}`, value, count: rows.length, pass: value <= max };
}

/** Recall averaged per gitleaks rule (each secret appears in many syntaxes, so rows would over-weight some). */
function perRuleRecall(rows: readonly ScoredRow[]): { value: number; rules: number } {
  const byRule = new Map<string, ScoredRow[]>();
  for (const row of rows) byRule.set(row.ruleId ?? '?', [...(byRule.get(row.ruleId ?? '?') ?? []), row]);
  const recalls = [...byRule.values()].map(rate);
  return { value: recalls.reduce((a, b) => a + b, 0) / Math.max(1, recalls.length), rules: recalls.length };
}

export function computeGates(rows: readonly ScoredRow[]): GateResult[] {
  const of = (dataset: string, label: 0 | 1, extra: (r: ScoredRow) => boolean = () => true): ScoredRow[] =>
    rows.filter((r) => r.dataset === dataset && r.label === label && extra(r));
  const secrets = perRuleRecall(of('gitleaks-secrets', 1));
  const safety = ['tool-poisoning', 'prompt-injection', 'command-execution', 'exfiltration'];
  return [
    { gate: 'secrets: recall averaged per gitleaks rule', goal: '≥ 0.85', value: secrets.value, count: secrets.rules, pass: secrets.value >= 0.85 },
    fpGate('real MCP tool and parameter descriptions: false positives', 0.01, of('mcp-benign-tools', 0)),
    recallGate('PII of structured kinds (presidio): recall', 0.9, of('presidio-pii', 1, (r) => STRUCTURED_PII.has(r.entity ?? ''))),
    fpGate('presidio checksum-invalid hard negatives: false positives', 0.1, of('presidio-pii', 0)),
    recallGate('unicode attacks: recall', 0.95, of('unicode-attacks', 1)),
    fpGate('benign unicode: false positives', 0.01, of('unicode-attacks', 0)),
    recallGate('PayloadsAllTheThings SSRF + command injection: recall', 0.85, of('payloadsallthethings-ssrf-cmdi', 1)),
    recallGate(
      'prompt injection (garak injections, BIPIA overt): recall',
      0.8,
      rows.filter((r) => r.label === 1 && ((r.dataset === 'garak-injection-jailbreak' && r.rawCategory.startsWith('prompt_injection')) || (r.dataset === 'bipia-indirect' && r.overt === true))),
    ),
    recallGate('in-the-wild jailbreaks: recall', 0.6, of('garak-injection-jailbreak', 1, (r) => r.rawCategory.startsWith('jailbreak'))),
    fpGate(
      'benign prompts and documents: false positives',
      0.03,
      rows.filter((r) => r.label === 0 && ['benign-prompts', 'bipia-indirect', 'garak-injection-jailbreak'].includes(r.dataset)),
    ),
    recallGate('MCP-SafetyBench attacks visible to content rules: recall', 0.7, of('mcp-safetybench', 1, (r) => safety.includes(r.category))),
    fpGate('MCP-SafetyBench benign: false positives', 0.03, of('mcp-safetybench', 0)),
  ];
}
