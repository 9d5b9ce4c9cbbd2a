/**
 * One scan and its consequence, as the gateway and `portcullis scan` both need it: scan a value on a surface, add
 * the `oversize` finding when part of it could not be read (never silently skipped), apply the action policy, and
 * sum up the verdict.
 */
import type { ActedFinding, ActionContext, ActionPolicy, Action, ScanVerdict } from './actions.js';
import { verdictOf } from './actions.js';
import type { Surface } from './rule-schema.js';
import type { RuleSet } from './rule-set.js';

/** The rule id of the finding that stands for "too large to scan". */
export const OVERSIZE_RULE = 'oversize';

export interface Judgement {
  readonly verdict: ScanVerdict;
  readonly findings: readonly ActedFinding[];
  readonly scannedChars: number;
}

export interface JudgeOptions {
  readonly rules: RuleSet;
  readonly actions: ActionPolicy;
  readonly maxScanBytes: number;
  readonly oversizeAction: Action;
}

export function judge(options: JudgeOptions, value: unknown, surface: Surface, context: ActionContext, pointer = ''): Judgement {
  const outcome = options.rules.scan(value, surface, { limits: { maxScanBytes: options.maxScanBytes }, pointer });
  const findings = options.actions.act(outcome.findings, context);
  if (outcome.oversize && options.oversizeAction !== 'ignore') {
    findings.push({
      rule: OVERSIZE_RULE,
      name: `more than rules.max_scan_bytes (${options.maxScanBytes}) to scan`,
      category: 'oversize',
      severity: 'high',
      pointer,
      start: 0,
      end: 0,
      action: options.oversizeAction,
    });
  }
  return { verdict: verdictOf(findings), findings, scannedChars: outcome.scannedChars };
}
