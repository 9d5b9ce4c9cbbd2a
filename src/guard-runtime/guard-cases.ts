/**
 * Table-driven guard cases (`guards/examples/<name>/cases.json`, `portcullis guards test --input`): an input
 * envelope, optionally a config, and the decision expected. Running them goes through the production runtime —
 * worker, limits, output checks — so a case that passes here behaves the same in the gateway.
 */
import { z } from 'zod';
import { GUARD_PHASES, type GuardEnvelope, type GuardPhase } from './abi.js';
import type { GuardHost, GuardVerdict } from './guard-host.js';

const inputSchema = z
  .object({
    phase: z.enum(GUARD_PHASES as [GuardPhase, ...GuardPhase[]]),
    call_id: z.string().optional(),
    agent: z.string().optional(),
    backend: z.string().nullable().optional(),
    tool: z.string().nullable().optional(),
    arguments: z.unknown().optional(),
    result: z.unknown().optional(),
    tools: z.unknown().optional(),
    session_labels: z.array(z.string()).optional(),
  })
  .strict();

const caseSchema = z.strictObject({
  name: z.string(),
  config: z.record(z.string(), z.unknown()).optional(),
  input: inputSchema,
  expect: z.strictObject({
    decision: z.enum(['allow', 'deny', 'quarantine']),
    code: z.string().optional(),
    labels: z.array(z.string()).optional(),
    redactions: z.array(z.strictObject({ path: z.string(), start: z.number(), end: z.number(), replacement: z.string() })).optional(),
  }),
});

export type GuardInput = z.infer<typeof inputSchema>;
export type GuardCase = z.infer<typeof caseSchema>;

/** A CASE.json: one input envelope, or a list of cases with expectations. */
export function parseCaseFile(text: string): { input: GuardInput } | { cases: GuardCase[] } | { problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message}` };
  }
  const parsed = Array.isArray(data) ? z.array(caseSchema).safeParse(data) : inputSchema.safeParse(data);
  if (!parsed.success) {
    return { problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') };
  }
  return Array.isArray(parsed.data) ? { cases: parsed.data } : { input: parsed.data as GuardInput };
}

let sessions = 0;

/** Runs one input through one guard (named `guard`) of `host`. */
export async function runGuardInput(host: GuardHost, guard: string, input: GuardInput, config?: unknown): Promise<{ verdict: GuardVerdict; ms: number }> {
  const session = `guards-test-${++sessions}`;
  if (input.session_labels) host.addSessionLabels(session, input.session_labels);
  const envelope: Omit<GuardEnvelope, 'phase'> = {
    call_id: input.call_id ?? `test-${sessions}`,
    agent: input.agent ?? 'test-agent',
    backend: input.backend ?? null,
    tool: input.tool ?? null,
    arguments: input.arguments ?? (input.phase === 'request' ? {} : null),
    result: input.result ?? null,
    tools: input.tools ?? null,
  };
  const started = performance.now();
  const verdict = await host.run(input.phase, envelope, session, config === undefined ? undefined : { [guard]: config });
  const ms = performance.now() - started;
  host.forgetSession(session);
  return { verdict, ms };
}

/** What differs between a case's expectation and the verdict (empty = pass). */
export function compareCase(expected: GuardCase['expect'], verdict: GuardVerdict): string[] {
  const problems: string[] = [];
  if (verdict.decision !== expected.decision) problems.push(`decision ${verdict.decision}, expected ${expected.decision}`);
  if (expected.code !== undefined && verdict.code !== expected.code) problems.push(`code ${verdict.code ?? '(none)'}, expected ${expected.code}`);
  if (expected.labels !== undefined && JSON.stringify([...verdict.labels].sort()) !== JSON.stringify([...expected.labels].sort())) {
    problems.push(`labels ${JSON.stringify(verdict.labels)}, expected ${JSON.stringify(expected.labels)}`);
  }
  if (expected.redactions !== undefined) {
    const got = verdict.redactions.map(({ path, start, end, replacement }) => ({ path, start, end, replacement }));
    const key = (r: { path: string; start: number }): string => `${r.path}\0${String(r.start).padStart(12, '0')}`;
    const sort = <T extends { path: string; start: number }>(list: readonly T[]): T[] => [...list].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    if (JSON.stringify(sort(got)) !== JSON.stringify(sort(expected.redactions))) {
      problems.push(`redactions ${JSON.stringify(got)}, expected ${JSON.stringify(expected.redactions)}`);
    }
  }
  if (!expected.code?.startsWith('guard_error:')) for (const failure of verdict.failures) problems.push(`guard failed (${failure.kind}): ${failure.message}`);
  return problems;
}
