/**
 * Rule scan throughput (DESIGN.md §6: linear in input size, ≤ 20 ms per MiB plus a constant with every shipped rule):
 * scans representative tool traffic (prose, JSON results, code, file listings, a little non-ASCII) of growing size
 * with the repository's rules, in process, and reports the median per size and the marginal cost per MiB. A hostile
 * input (long runs that make backtracking engines explode) is timed too.
 */
import { join } from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { createActionPolicy } from '../src/scanner/actions.js';
import { judge } from '../src/scanner/judge.js';
import { loadRuleDirs } from '../src/scanner/load-rules.js';
import { createRuleSet } from '../src/scanner/rule-set.js';
import type { Surface } from '../src/scanner/rule-schema.js';

export interface ScanSize {
  readonly bytes: number;
  readonly medianMs: number;
  readonly msPerMiB: number;
}

export interface ScannerResult {
  readonly rules: number;
  readonly surface: Surface;
  readonly sizes: readonly ScanSize[];
  /** (time at the largest size − time at the smallest) / (MiB between them): the per-MiB slope. */
  readonly marginalMsPerMiB: number;
  /** The constant: the median scan of the smallest input. */
  readonly constantMs: number;
  readonly hostile: { readonly bytes: number; readonly ms: number };
}

const SAMPLES = [
  'The quarterly report is attached. Revenue grew 4% over the previous quarter, driven by the new subscription tier. ',
  '{"path":"/srv/app/src/index.ts","size":2048,"modified":"2026-11-30T10:12:00Z","type":"file"} ',
  'function parseConfig(text) {\n  const lines = text.split("\\n");\n  return lines.filter((l) => l.trim() !== "");\n}\n',
  '[FILE] package.json\n[FILE] README.md\n[DIR] src\n[DIR] test\n',
  'Contact the team at https://example.com/support or open an issue. Meeting notes — Zürich office, café on 3rd floor. ',
  'Результаты измерений приведены в таблице ниже; значения округлены. ',
  'SELECT name, email FROM users WHERE created_at > now() - interval 7 day ORDER BY name; ',
];

function representative(bytes: number): string {
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += SAMPLES[(i * 7 + (i >> 3)) % SAMPLES.length];
  return text.slice(0, bytes);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function measureScanner(repoRoot: string, quick: boolean): ScannerResult {
  const loaded = loadRuleDirs([join(repoRoot, 'rules')]);
  if (loaded.problems.length > 0) throw new Error(`rules do not load: ${loaded.problems.map((p) => p.message).join('; ')}`);
  const config = configSchema.parse({});
  const options = { rules: createRuleSet(loaded.rules), actions: createActionPolicy(config), maxScanBytes: 64 * 1024 * 1024, oversizeAction: 'block' as const };
  const surface: Surface = 'tool_result';
  const time = (text: string, repeats: number): number => {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      judge(options, { content: [{ type: 'text', text }] }, surface, {});
      times.push(performance.now() - started);
    }
    return median(times);
  };
  time(representative(64 * 1024), quick ? 3 : 20); // warm-up: JIT and the NFKC cache
  const sizes = [1024, 64 * 1024, 1024 * 1024, ...(quick ? [] : [4 * 1024 * 1024])].map((bytes): ScanSize => {
    const repeats = bytes <= 64 * 1024 ? (quick ? 20 : 200) : quick ? 3 : 15;
    const medianMs = time(representative(bytes), repeats);
    return { bytes, medianMs, msPerMiB: medianMs / (bytes / 1_048_576) };
  });
  const first = sizes[0] as ScanSize;
  const last = sizes[sizes.length - 1] as ScanSize;
  const hostileText = `${'a'.repeat(500_000)}!${'x'.repeat(500_000)}`;
  return {
    rules: loaded.rules.length,
    surface,
    sizes,
    constantMs: first.medianMs,
    marginalMsPerMiB: (last.medianMs - first.medianMs) / ((last.bytes - first.bytes) / 1_048_576),
    hostile: { bytes: hostileText.length, ms: time(hostileText, quick ? 1 : 3) },
  };
}
