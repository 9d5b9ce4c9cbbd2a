/** `portcullis scan`: scans JSONL `{text}` / `{json}` lines from stdin; one verdict line per input line, in order. */
import type { PolicyTarget } from '../access/target-glob.js';
import { judge } from '../scanner/judge.js';
import { SURFACES, type Surface } from '../scanner/rule-schema.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadRulesForCli } from './load-rules.js';

export const SCAN_HELP = `Usage: portcullis scan [--surface S] [--agent A] [--tool BACKEND/TOOL] [--json] < input.jsonl

Reads one JSON object per line from stdin, {"text": "..."} or {"json": <any JSON value>}, scans it with the loaded
rules and prints one line per input line, in order: what the gateway would do under the loaded config.

  {"verdict":"block","findings":[{"rule":"PI-001","category":"prompt-injection","severity":"critical",
    "path":"","start":0,"end":27}]}

verdict is one of clean | record | flag | quarantine | block. A line that is not valid input prints
{"error": "..."} in its place, and the command exits 1 at the end.

Options:
  --surface S    ${SURFACES.join(' | ')} (default: message); a line may carry its own "surface"
  --agent A      apply this agent's blocked_categories
  --tool B/T     apply rules.overrides limited to this tool
  --json         accepted for symmetry; output is always JSON lines
  --config FILE  config file (default config/portcullis.yaml)
`;

/** Longest input line read (a line longer than this is reported, not scanned in part). */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

export async function runScan(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    surface: { type: 'string' },
    agent: { type: 'string' },
    tool: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return io.out(SCAN_HELP), EXIT.ok;
  const surface = surfaceFrom(values.surface, 'message');
  if (!surface) throw new UsageError(`--surface must be one of ${SURFACES.join(', ')}`);
  const target = targetFrom(values.tool);
  const loaded = loadRulesForCli(configPathFrom(values, io.env), io);
  if (!loaded) return EXIT.userError;
  if (!io.lines) throw new UsageError('scan reads its input from stdin');
  let bad = 0;
  const context = { agent: typeof values.agent === 'string' ? values.agent : undefined, target };
  for await (const line of io.lines()) {
    if (line.trim() === '') continue;
    const input = parseLine(line);
    const lineSurface = input.ok ? surfaceFrom(input.surface, surface) : undefined;
    if (!input.ok || !lineSurface) {
      bad++;
      io.out(`${JSON.stringify({ error: input.ok ? `unknown surface ${String(input.surface)}` : input.error })}\n`);
      continue;
    }
    const judged = judge(loaded.judge, input.value, lineSurface, context);
    const findings = judged.findings.map((f) => ({ rule: f.rule, category: f.category, severity: f.severity, path: f.pointer, start: f.start, end: f.end }));
    io.out(`${JSON.stringify({ verdict: judged.verdict, findings })}\n`);
  }
  return bad > 0 ? EXIT.userError : EXIT.ok;
}

type Line = { ok: true; value: unknown; surface: unknown } | { ok: false; error: string };

function parseLine(line: string): Line {
  if (line.length > MAX_LINE_CHARS) return { ok: false, error: `line longer than ${MAX_LINE_CHARS} characters` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not a JSON object' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'not a JSON object' };
  const record = parsed as Record<string, unknown>;
  if (typeof record.text === 'string') return { ok: true, value: record.text, surface: record.surface };
  if ('json' in record) return { ok: true, value: record.json, surface: record.surface };
  return { ok: false, error: 'expected {"text": "..."} or {"json": ...}' };
}

function surfaceFrom(value: unknown, fallback: Surface | undefined): Surface | undefined {
  if (value === undefined) return fallback;
  return (SURFACES as readonly unknown[]).includes(value) ? (value as Surface) : undefined;
}

function targetFrom(value: unknown): PolicyTarget | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash <= 0) throw new UsageError('--tool takes <backend>/<tool>');
  return { backend: value.slice(0, slash), kind: 'tool', name: value.slice(slash + 1) };
}
