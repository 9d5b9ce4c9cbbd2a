/**
 * Reads `guards/`: pairs each `<name>.wasm` with its `<name>.guard.yaml`, and checks everything that can be checked
 * without running the guard — manifest, sha256 pin, imports against grants, declared memory maximum, exports.
 * What passes is compiled once here (a WebAssembly.Module is shared with the workers, not recompiled by each).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../config/describe.js';
import { GUARD_PHASES, type GuardPhase, PHASE_EXPORT } from './abi.js';
import { type GuardManifest, parseManifestText } from './manifest.js';
import { inspectModule } from './wasm-inspect.js';

export const GUARD_DIR_LIMITS = { guards: 32, wasmBytes: 16 * 1_048_576 } as const;

/** A guard that passed the static checks (it still has to describe itself in a worker). */
export interface GuardSpec {
  readonly name: string;
  readonly file: string;
  readonly sha256: string;
  readonly module: WebAssembly.Module;
  readonly manifest: GuardManifest;
  readonly phases: readonly GuardPhase[];
  readonly exports: readonly string[];
  readonly memoryMaxPages: number;
  /** Identity of what runs: wasm bytes and manifest text. Unchanged guards are not re-described on reload. */
  readonly fingerprint: string;
}

export interface RefusedGuard {
  readonly name: string;
  readonly file: string;
  readonly problems: readonly string[];
}

export interface LoadedGuards {
  readonly guards: readonly GuardSpec[];
  readonly refused: readonly RefusedGuard[];
  /** Identity of the whole directory's content: an event that changes nothing is not a reload. */
  readonly fingerprint: string;
}

const WASM = '.wasm';
const MANIFEST = '.guard.yaml';

/** Loads a guards directory; a directory that does not exist holds no guards. */
export function loadGuardDir(dir: string): LoadedGuards {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { guards: [], refused: [], fingerprint: 'empty' };
    return { guards: [], refused: [{ name: '*', file: dir, problems: [`cannot read the guards directory: ${(error as Error).message}`] }], fingerprint: 'unreadable' };
  }
  const names = new Set<string>();
  for (const entry of entries) {
    if (entry.endsWith(WASM)) names.add(entry.slice(0, -WASM.length));
    else if (entry.endsWith(MANIFEST)) names.add(entry.slice(0, -MANIFEST.length));
  }
  const guards: GuardSpec[] = [];
  const refused: RefusedGuard[] = [];
  const whole = createHash('sha256');
  for (const name of names) {
    if (guards.length + refused.length >= GUARD_DIR_LIMITS.guards) {
      refused.push({ name, file: join(dir, name + WASM), problems: [`more than ${GUARD_DIR_LIMITS.guards} guards in ${dir}`] });
      continue;
    }
    const loaded = loadGuard(join(dir, name + WASM), join(dir, name + MANIFEST), name);
    whole.update(`${name}\0${loaded.fingerprint}\0`);
    if ('spec' in loaded) guards.push(loaded.spec);
    else refused.push(loaded.refused);
  }
  return { guards, refused, fingerprint: whole.digest('hex') };
}

type Loaded = ({ spec: GuardSpec } | { refused: RefusedGuard }) & { fingerprint: string };

/** Loads one guard from its two files; `name` is what the file names say. */
export function loadGuard(wasmFile: string, manifestFile: string, name: string): Loaded {
  const refuse = (problems: string[], fingerprint = 'refused'): Loaded => ({ refused: { name, file: wasmFile, problems }, fingerprint });
  const bytes = readBounded(wasmFile);
  const text = readBounded(manifestFile);
  const fingerprint = createHash('sha256')
    .update(typeof bytes === 'string' ? bytes : bytes)
    .update('\0')
    .update(typeof text === 'string' ? text : text)
    .digest('hex');
  if (typeof text === 'string' && text.startsWith('\0missing')) return refuse([`has no manifest: write ${manifestFile} (a guard without one is refused)`], fingerprint);
  if (typeof bytes === 'string' && bytes.startsWith('\0missing')) return refuse([`${manifestFile} has no module: ${wasmFile} is missing`], fingerprint);
  if (typeof bytes === 'string') return refuse([bytes], fingerprint);
  if (typeof text === 'string') return refuse([text], fingerprint);

  const parsed = parseManifestText(Buffer.from(text).toString('utf8'), manifestFile);
  if (!parsed.manifest) return refuse(parsed.problems.map(formatProblem), fingerprint);
  const manifest = parsed.manifest;
  const problems: string[] = [];
  if (manifest.name !== name) problems.push(`${manifestFile}: name is ${JSON.stringify(manifest.name)} but the files are named ${JSON.stringify(name)}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (manifest.sha256 !== undefined && manifest.sha256 !== sha256) {
    problems.push(`sha256 of ${wasmFile} is ${sha256}, but the manifest pins ${manifest.sha256}`);
    return refuse(problems, fingerprint);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (error) {
    return refuse([...problems, `is not a valid WebAssembly module: ${(error as Error).message}`], fingerprint);
  }
  const inspected = inspectModule(bytes, module, { hostFunctions: manifest.host_functions, maxMemoryMb: manifest.max_memory_mb });
  problems.push(...inspected.problems);
  if (!inspected.facts) return refuse(problems, fingerprint);
  const exported = GUARD_PHASES.filter((phase) => inspected.facts!.exports.includes(PHASE_EXPORT[phase]));
  if (!inspected.facts.exports.includes('guard_describe')) problems.push('does not export guard_describe');
  if (exported.length === 0) problems.push(`exports none of ${GUARD_PHASES.map((p) => PHASE_EXPORT[p]).join(', ')}`);
  const phases = manifest.phases ?? exported;
  for (const phase of phases) {
    if (!exported.includes(phase)) problems.push(`the manifest lists phase ${phase}, but the module does not export ${PHASE_EXPORT[phase]}`);
  }
  if (problems.length > 0) return refuse(problems, fingerprint);
  return {
    spec: { name, file: wasmFile, sha256, module, manifest, phases, exports: inspected.facts.exports, memoryMaxPages: inspected.facts.memoryMaxPages, fingerprint },
    fingerprint,
  };
}

/** File bytes, or a problem string; `\0missing` when the file does not exist. */
function readBounded(file: string): Uint8Array<ArrayBuffer> | string {
  try {
    const size = statSync(file).size;
    if (size > GUARD_DIR_LIMITS.wasmBytes) return `${file} is ${size} bytes (limit ${GUARD_DIR_LIMITS.wasmBytes})`;
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '\0missing';
    return `cannot read ${file}: ${(error as Error).message}`;
  }
}
