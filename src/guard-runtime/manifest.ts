/**
 * `guards/<name>.guard.yaml`: what a guard is allowed and how it fails (DESIGN.md §4). Strict: an unknown key is an
 * error with its line, so a typo (`failure-mode: fail_open`) never silently means the default.
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { type ConfigProblem, describeIssue, formatPath, locate } from '../config/describe.js';
import { GUARD_PHASES } from './abi.js';
import { TOKEN } from './abi.js';

/** Host functions beyond guard_log and guard_now_ms that a manifest may grant. None exist yet; a grant of an
 * unknown one is refused rather than ignored. */
export const OPTIONAL_HOST_FUNCTIONS: ReadonlySet<string> = new Set();

/** Upper bounds an operator cannot raise from a manifest (one guard must not be able to hold a worker for long). */
export const MANIFEST_LIMITS = { timeoutMs: 5_000, maxMemoryMb: 256, configBytes: 65_536, manifestBytes: 131_072 } as const;

export const manifestSchema = z.strictObject({
  name: z.string().regex(TOKEN, 'a name is lower-case letters, digits and _.:- (at most 64)'),
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(100),
  phases: z.array(z.enum(GUARD_PHASES as [string, ...string[]])).min(1).optional(),
  failure_mode: z.enum(['fail_closed', 'fail_open']).default('fail_closed'),
  timeout_ms: z.number().int().min(1).max(MANIFEST_LIMITS.timeoutMs).default(50),
  max_memory_mb: z.number().int().min(1).max(MANIFEST_LIMITS.maxMemoryMb).default(16),
  host_functions: z
    .array(z.string().refine((name) => OPTIONAL_HOST_FUNCTIONS.has(name), { message: 'is not a host function this gateway offers' }))
    .default([]),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'sha256 is 64 hex digits')
    .transform((s) => s.toLowerCase())
    .optional(),
  config: z.record(z.string(), z.unknown()).default({}),
});

export type GuardManifest = z.infer<typeof manifestSchema> & { readonly phases?: readonly ('request' | 'response' | 'tools_list')[] };

export function parseManifestText(text: string, file: string): { manifest?: GuardManifest; problems: ConfigProblem[] } {
  if (Buffer.byteLength(text, 'utf8') > MANIFEST_LIMITS.manifestBytes) return { problems: [{ file, path: '', message: `is over ${MANIFEST_LIMITS.manifestBytes} bytes` }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: error.message.split('\n')[0] ?? error.message };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 20 }) ?? {};
  } catch (error) {
    return { problems: [{ file, path: '', message: (error as Error).message }] };
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .flatMap((issue) => describeIssue(issue, manifestSchema, data))
      .map((d) => ({ file, ...(locate(doc, lineCounter, d.path, d.anchor) ?? {}), path: formatPath(d.path), message: d.message }));
    return { problems };
  }
  if (Buffer.byteLength(JSON.stringify(parsed.data.config), 'utf8') > MANIFEST_LIMITS.configBytes) {
    return { problems: [{ file, ...(locate(doc, lineCounter, ['config']) ?? {}), path: 'config', message: `is over ${MANIFEST_LIMITS.configBytes} bytes as JSON` }] };
  }
  return { manifest: parsed.data as GuardManifest, problems: [] };
}
