/**
 * Builds the example guards: guards/examples/<name>/index.ts (AssemblyScript, ABI mcp-guard/1) becomes
 * guards/<name>.wasm, and guards/examples/<name>/<name>.guard.yaml is copied to guards/<name>.guard.yaml.
 *
 *   node --import tsx guards/build.ts [--force | --check] [name ...]
 *
 * `--check` builds nothing and exits 1 when a shipped guards/<name>.wasm is not what its sources build (CI runs it on
 * a fresh clone, so a source change committed without its rebuilt module fails there).
 *
 * `npm test` runs this first, so an up-to-date tree must cost next to nothing: each guard's inputs (the SDK, the
 * example's sources and manifest, the PDK, the compiler version and the flags) are hashed into a key kept in
 * guards/.build-cache.json, and a guard whose key and outputs are unchanged is not compiled. The compiler is only
 * loaded when something needs building. Outputs are written to a temporary name and renamed into place, because
 * a running gateway watches guards/ and must never load half a module.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type AscModule from 'assemblyscript/asc';
import { parseManifestText } from '../src/guard-runtime/manifest.js';
import { inspectModule } from '../src/guard-runtime/wasm-inspect.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GUARDS = join(ROOT, 'guards');
const SDK = join(GUARDS, 'sdk');
const EXAMPLES = join(GUARDS, 'examples');
const PDK = join(ROOT, 'node_modules', '@extism', 'as-pdk');
const CACHE_FILE = join(GUARDS, '.build-cache.json');

/** Pages of 64 KiB: 256 = 16 MiB. The runtime refuses a module without a declared maximum. */
const MAXIMUM_MEMORY_PAGES = 256;
const FLAGS = [
  '--optimize',
  '--maximumMemory',
  String(MAXIMUM_MEMORY_PAGES),
  '--runtime',
  'incremental',
  // AssemblyScript's default abort imports env.abort, which a guard may not import.
  '--use',
  'abort=guards/sdk/index/guardAbort',
  '--noColors',
];
/** Bump when this script changes what it produces from the same inputs. */
const BUILD_FORMAT = 1;

interface CacheEntry {
  key: string;
  wasm: string;
  manifest: string;
}
interface Cache {
  format: number;
  guards: Record<string, CacheEntry>;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Files under `dir`, recursively, sorted, with `accept` applied to each name. */
function listFiles(dir: string, accept: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, accept));
    else if (entry.isFile() && accept(entry.name)) out.push(path);
  }
  return out;
}

function compilerVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Inputs shared by every guard: the SDK and the PDK sources (a PDK upgrade changes the output). */
function sharedInputs(): string[] {
  return [...listFiles(SDK, (name) => name.endsWith('.ts')), ...listFiles(PDK, (name) => name.endsWith('.ts'))];
}

function cacheKey(name: string, shared: readonly string[], version: string): string {
  const hash = createHash('sha256');
  hash.update(`format ${BUILD_FORMAT}\0asc ${version}\0${FLAGS.join(' ')}\0`);
  // cases.json is test data, not an input: editing cases must not force a rebuild.
  const own = listFiles(join(EXAMPLES, name), (file) => file.endsWith('.ts') || file.endsWith('.guard.yaml'));
  for (const file of [...shared, ...own]) {
    hash.update(`${relative(ROOT, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readCache(): Cache {
  try {
    const data = JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as Cache;
    if (data.format === BUILD_FORMAT && typeof data.guards === 'object' && data.guards !== null) return data;
  } catch {
    // missing or unreadable: build everything
  }
  return { format: BUILD_FORMAT, guards: {} };
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function fileHash(file: string): string | undefined {
  return existsSync(file) ? sha256(readFileSync(file)) : undefined;
}

function upToDate(entry: CacheEntry | undefined, key: string, wasmFile: string, manifestFile: string): boolean {
  return entry !== undefined && entry.key === key && fileHash(wasmFile) === entry.wasm && fileHash(manifestFile) === entry.manifest;
}

/**
 * Checks the manifest before compiling, with the runtime's own parser (so a manifest the gateway would refuse fails
 * here): its name must be the directory's, it must allow the memory we declare, and it carries no sha256 pin.
 */
function checkManifest(name: string, text: string): string[] {
  const file = `guards/examples/${name}/${name}.guard.yaml`;
  const { manifest, problems } = parseManifestText(text, file);
  if (!manifest) return problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  const out: string[] = [];
  if (manifest.name !== name) out.push(`manifest name is ${JSON.stringify(manifest.name)}, expected ${JSON.stringify(name)}`);
  if (manifest.max_memory_mb * 16 < MAXIMUM_MEMORY_PAGES) {
    out.push(`max_memory_mb must be at least ${MAXIMUM_MEMORY_PAGES / 16} (the module declares ${MAXIMUM_MEMORY_PAGES} pages)`);
  }
  if (manifest.sha256 !== undefined) out.push('shipped manifests carry no sha256 (it would pin the previous build)');
  return out;
}

/** The runtime's own load-time checks, so a module the gateway would refuse fails the build instead. */
function checkModule(bytes: Uint8Array): string[] {
  return inspectModule(bytes, new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { hostFunctions: [], maxMemoryMb: MAXIMUM_MEMORY_PAGES / 16 }).problems;
}

type Asc = typeof AscModule;
let ascModule: Asc | undefined;

/** Compiles one example; returns the module bytes or the compiler's messages. */
async function compile(name: string): Promise<{ bytes?: Uint8Array; errors: string }> {
  ascModule ??= (await import('assemblyscript/asc')).default;
  let bytes: Uint8Array | undefined;
  let messages = '';
  const sink = { write: (chunk: Uint8Array | string) => void (messages += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) };
  const entry = relative(ROOT, join(EXAMPLES, name, 'index.ts')).split('\\').join('/');
  const { error } = await ascModule.main([entry, '--baseDir', ROOT, '--outFile', `${name}.wasm`, ...FLAGS], {
    stdout: sink,
    stderr: sink,
    // An asconfig.json lying around must not change what gets built behind the cache's back.
    readFile: (file, baseDir) => {
      if (file === 'asconfig.json') return null;
      const path = join(baseDir, file);
      return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : null;
    },
    writeFile: (file, contents) => {
      if (file.endsWith('.wasm') && typeof contents !== 'string') bytes = contents;
    },
  });
  if (error || bytes === undefined) return { errors: messages.trim() || String(error ?? 'the compiler wrote no module') };
  return { bytes, errors: '' };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const check = args.includes('--check');
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--force' && a !== '--check');
  if (unknown.length > 0 || (force && check)) {
    console.error(`${unknown.length > 0 ? `unknown option ${unknown.join(' ')}` : '--force and --check exclude each other'}; usage: node --import tsx guards/build.ts [--force | --check] [name ...]`);
    return 2;
  }
  const available = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(EXAMPLES, e.name, 'index.ts')))
    .map((e) => e.name)
    .sort();
  const wanted = args.filter((a) => !a.startsWith('-'));
  const missing = wanted.filter((n) => !available.includes(n));
  if (missing.length > 0) {
    console.error(`no such example: ${missing.join(', ')} (have ${available.join(', ')})`);
    return 2;
  }
  const names = wanted.length > 0 ? wanted : available;

  const cache = readCache();
  const shared = sharedInputs();
  const version = compilerVersion();
  let failed = 0;
  let changed = false;

  for (const name of names) {
    const key = cacheKey(name, shared, version);
    const wasmFile = join(GUARDS, `${name}.wasm`);
    const manifestFile = join(GUARDS, `${name}.guard.yaml`);
    if (!force && upToDate(cache.guards[name], key, wasmFile, manifestFile)) {
      console.log(`${name}: up to date`);
      continue;
    }
    if (check) {
      console.error(`${name}: STALE: guards/${name}.wasm or its manifest is not what guards/examples/${name} builds; run npm run build:guards and commit the result`);
      failed++;
      continue;
    }
    const started = performance.now();
    const manifestText = readFileSync(join(EXAMPLES, name, `${name}.guard.yaml`), 'utf8');
    const problems = checkManifest(name, manifestText);
    const { bytes, errors } = problems.length > 0 ? { bytes: undefined, errors: problems.join('\n') } : await compile(name);
    const importProblems = bytes ? checkModule(bytes) : [];
    if (!bytes || importProblems.length > 0) {
      console.error(`${name}: FAILED\n${errors || importProblems.join('\n')}`);
      if (cache.guards[name]) {
        delete cache.guards[name];
        changed = true;
      }
      failed++;
      continue;
    }
    writeAtomically(wasmFile, bytes);
    writeAtomically(manifestFile, manifestText);
    cache.guards[name] = { key, wasm: sha256(bytes), manifest: sha256(manifestText) };
    changed = true;
    const ms = Math.round(performance.now() - started);
    console.log(`${name}: built guards/${name}.wasm (${bytes.byteLength} bytes) in ${ms} ms`);
  }

  // An example that was removed leaves outputs the gateway would still load; remove them, but only when they are
  // exactly what this script wrote (guards/ also holds operators' own guards).
  if (wanted.length === 0 && !check) {
    for (const name of Object.keys(cache.guards)) {
      if (available.includes(name)) continue;
      const entry = cache.guards[name]!;
      for (const [file, hash] of [
        [join(GUARDS, `${name}.wasm`), entry.wasm],
        [join(GUARDS, `${name}.guard.yaml`), entry.manifest],
      ] as const) {
        if (fileHash(file) === hash) rmSync(file);
      }
      delete cache.guards[name];
      changed = true;
      console.log(`${name}: removed (its example is gone)`);
    }
  }

  if (changed) {
    const sorted: Cache = { format: BUILD_FORMAT, guards: Object.fromEntries(Object.entries(cache.guards).sort(([a], [b]) => (a < b ? -1 : 1))) };
    writeAtomically(CACHE_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
