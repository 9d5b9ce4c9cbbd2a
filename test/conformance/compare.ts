/**
 * Compares two conformance runs of the same backend (direct, and through the gateway) check by check. A check is a
 * regression when it passes directly and does not pass through the gateway, or when it fails through the gateway
 * and did not fail directly. Trace checks (INFO or absent on both sides) are counted, not listed.
 */
import type { Check, CheckStatus, SuiteResult } from './suite.js';

/**
 * N/A: the backend lacks the tool the scenario calls; MISSING: the scenario produced no results at all; ABSENT: it ran
 * but did not report this check.
 */
export type Status = CheckStatus | 'N/A' | 'MISSING' | 'ABSENT';

export interface Row {
  readonly scenario: string;
  readonly check: string;
  readonly direct: Status;
  readonly gateway: Status;
  readonly verdict: 'same' | 'regression' | 'better' | 'changed' | 'n/a';
  /** The gateway side's error message, or the direct side's when only that one has one. */
  readonly message: string | undefined;
}

export interface Comparison {
  readonly rows: readonly Row[];
  readonly regressions: readonly Row[];
  /** Rows that are INFO or absent on both sides: protocol traces, not pass/fail results. */
  readonly hiddenTraceRows: number;
}

type AggregateStatus = CheckStatus | 'N/A';

// The worst status of a check id wins when a scenario reports the same id several times (e.g. per SSE event); a
// backend that lacks the scenario's tool makes the whole id n/a.
const SEVERITY: Readonly<Record<AggregateStatus, number>> = {
  'N/A': 5,
  FAILURE: 4,
  WARNING: 3,
  SUCCESS: 2,
  SKIPPED: 1,
  INFO: 0,
};

interface Aggregate {
  readonly status: AggregateStatus;
  readonly message: string | undefined;
}

/** Collapses a scenario's checks by id, then adds the derived checks. */
export function aggregate(scenario: string, checks: readonly Check[]): Map<string, Aggregate> {
  const byId = new Map<string, Aggregate>();
  for (const check of [...checks, ...deriveChecks(scenario, checks)]) {
    const status: AggregateStatus = lacksTool(check) ? 'N/A' : check.status;
    const previous = byId.get(check.id);
    if (!previous || SEVERITY[status] > SEVERITY[previous.status]) {
      byId.set(check.id, { status, message: check.errorMessage ?? previous?.message });
    }
  }
  return byId;
}

/**
 * Checks this runner derives from details the suite records but does not judge. `server-sse-polling` reports the
 * answer to its `test_reconnection` call only in INFO details, and an answer that is a JSON-RPC error (not a result)
 * leaves no trace at all; without this row a gateway that turned the tool's result into an error would pass.
 */
export function deriveChecks(scenario: string, checks: readonly Check[]): Check[] {
  if (scenario !== 'server-sse-polling' || !checks.some((c) => c.id === 'stream-closed')) return [];
  const id = 'derived:test_reconnection-result';
  const description = 'The test_reconnection call gets its tool result (on the POST stream or after resuming)';
  const answer = checks
    .map((c) => c.details?.body as { id?: unknown; result?: { isError?: unknown } } | undefined)
    .find((body) => body?.id === 1 && body.result !== undefined);
  if (answer?.result) {
    const failed = answer.result.isError === true;
    return [
      {
        id,
        description,
        status: failed ? 'FAILURE' : 'SUCCESS',
        details: { result: answer.result },
        errorMessage: failed ? 'the tool result is an error' : undefined,
      },
    ];
  }
  const resumed = checks.some(
    (c) => c.id === 'server-sse-disconnect-resume' && c.details?.receivedToolResponse === true,
  );
  if (resumed) return [{ id, description, status: 'SUCCESS' }];
  return [
    {
      id,
      description,
      status: 'FAILURE',
      errorMessage: 'no tool result for tools/call test_reconnection (the suite does not record an error answer)',
    },
  ];
}

/**
 * A check the backend only "passes" (or fails) because it does not have the tool the scenario calls: the SDK answers
 * an unknown tool with an `isError` result ("Tool X not found"), which some checks accept as text content. Such a row
 * says nothing about the gateway, so it is shown as n/a and never counts as a regression.
 */
export function lacksTool(check: Check): boolean {
  const result = (check.details?.result ?? (check.details?.body as { result?: unknown } | undefined)?.result) as
    { isError?: unknown; content?: unknown } | undefined;
  if (result?.isError !== true || !Array.isArray(result.content)) return false;
  return result.content.some(
    (item: { text?: unknown }) => typeof item.text === 'string' && /\bTool \S+ not found\b/.test(item.text),
  );
}

/** Compares the direct run with the gateway run. */
export function compare(direct: SuiteResult, gateway: SuiteResult): Comparison {
  const scenarios = [
    ...new Set([...direct.scenarios.keys(), ...direct.missing, ...gateway.scenarios.keys(), ...gateway.missing]),
  ];
  const rows: Row[] = [];
  let hiddenTraceRows = 0;
  for (const scenario of scenarios) {
    const d = aggregate(scenario, direct.scenarios.get(scenario) ?? []);
    const g = aggregate(scenario, gateway.scenarios.get(scenario) ?? []);
    const ids = [...new Set([...d.keys(), ...g.keys()])];
    if (ids.length === 0) ids.push('(no results)');
    for (const check of ids) {
      const left = statusOf(d.get(check), direct.scenarios.has(scenario));
      const right = statusOf(g.get(check), gateway.scenarios.has(scenario));
      if (isTrace(left) && isTrace(right)) {
        hiddenTraceRows++;
        continue;
      }
      const message = g.get(check)?.message ?? d.get(check)?.message;
      rows.push({ scenario, check, direct: left, gateway: right, verdict: verdictOf(left, right), message });
    }
  }
  return { rows, regressions: rows.filter((row) => row.verdict === 'regression'), hiddenTraceRows };
}

function statusOf(entry: Aggregate | undefined, scenarioRan: boolean): Status {
  if (entry) return entry.status;
  return scenarioRan ? 'ABSENT' : 'MISSING';
}

function isTrace(status: Status): boolean {
  return status === 'INFO' || status === 'ABSENT';
}

function verdictOf(direct: Status, gateway: Status): Row['verdict'] {
  if (direct === gateway) return 'same';
  if (direct === 'SUCCESS') return 'regression';
  if (direct === 'N/A') return 'n/a';
  if (direct === 'MISSING') return 'changed'; // nothing to compare against
  if (gateway === 'FAILURE' || gateway === 'MISSING') return 'regression';
  if (gateway === 'SUCCESS') return 'better';
  return 'changed';
}

const MARK: Readonly<Record<Status, string>> = {
  SUCCESS: 'pass',
  FAILURE: 'FAIL',
  WARNING: 'warn',
  INFO: 'info',
  SKIPPED: 'skip',
  'N/A': 'n/a',
  MISSING: 'no result',
  ABSENT: '-',
};

/** A plain-text table for the terminal. */
export function renderText(title: string, comparison: Comparison): string {
  const header = ['scenario', 'check', 'direct', 'gateway', ''];
  const body = comparison.rows.map((row) => [
    row.scenario,
    row.check === row.scenario ? '' : row.check,
    MARK[row.direct],
    MARK[row.gateway],
    row.verdict === 'same' || row.verdict === 'n/a'
      ? ''
      : row.verdict === 'regression'
        ? '<-- REGRESSION'
        : row.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    title,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    `(${comparison.hiddenTraceRows} trace checks that are INFO on both sides not shown)`,
  ].join('\n');
}

/** A Markdown table, for docs/conformance.md. */
export function renderMarkdown(comparison: Comparison): string {
  const lines = ['| scenario | check | direct | through gateway |', '|---|---|---|---|'];
  for (const row of comparison.rows) {
    const check = row.check === row.scenario ? '' : `\`${row.check}\``;
    const note = row.verdict === 'regression' ? ' (regression)' : row.verdict === 'better' ? ' (better)' : '';
    const gateway = row.verdict === 'regression' ? `**${MARK[row.gateway]}**${note}` : `${MARK[row.gateway]}${note}`;
    lines.push(`| ${row.scenario} | ${check} | ${MARK[row.direct]} | ${gateway} |`);
  }
  return lines.join('\n');
}

/** Counts of pass/fail/warn per side. */
export function tally(comparison: Comparison, side: 'direct' | 'gateway'): string {
  const count = (status: Status): number => comparison.rows.filter((row) => row[side] === status).length;
  return `${count('SUCCESS')} pass, ${count('FAILURE')} fail, ${count('WARNING')} warn, ${count('N/A')} n/a`;
}
