/**
 * Static checks on guard modules, over modules written in WebAssembly text: which imports a guard may have, and
 * that it has exactly one memory of its own with a declared maximum within its manifest's max_memory_mb.
 */
import wabt from 'wabt';
import { describe, expect, it } from 'vitest';
import { BASE_HOST_FUNCTIONS, HOST_MODULE, KERNEL_MODULE, inspectModule } from './wasm-inspect.js';

type Wabt = Awaited<ReturnType<typeof wabt>>;
/** wabt's feature flags; `multi_memory` is accepted at runtime but missing from its type declarations. */
type Features = NonNullable<Parameters<Wabt['parseWat']>[2]> & { multi_memory?: boolean };

let wabtModule: Wabt | undefined;

/** Like test/helpers/wat-guards.ts `compileWat`, which takes no feature flags. */
async function assemble(text: string, features: Features = {}): Promise<Uint8Array<ArrayBuffer>> {
  wabtModule ??= await wabt();
  const module = wabtModule.parseWat('inspect.wat', text, features);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const GRANTS = { hostFunctions: [] as string[], maxMemoryMb: 16 };

/** A module with the given imports and memory declaration that exports one phase function. */
const guardWat = (imports: readonly string[], memory = '(memory (export "memory") 1 16)'): string => `(module
  ${imports.join('\n  ')}
  ${memory}
  (func (export "guard_describe") (result i32) (i32.const 0))
  (func (export "guard_request") (result i32) (i32.const 0)))`;
const fnImport = (module: string, name: string): string => `(import "${module}" "${name}" (func))`;

async function inspect(text: string, grants = GRANTS, features: Features = {}): Promise<ReturnType<typeof inspectModule>> {
  const bytes = await assemble(text, features);
  return inspectModule(bytes, new WebAssembly.Module(bytes), grants);
}

/**
 * Inspects bytes that V8 in Node 20 refuses to compile (two memories, 64-bit memory), or that are not a module at
 * all. inspectModule reads the memory section from the bytes itself and takes imports and exports from the compiled
 * module, so a plain module with no imports stands in for the compiled one.
 */
async function inspectBytes(bytes: Uint8Array, grants = GRANTS): Promise<ReturnType<typeof inspectModule>> {
  return inspectModule(bytes, new WebAssembly.Module(await assemble('(module)')), grants);
}

describe('inspectModule: imports', () => {
  // The allowlist, spelled out: a test that fails when someone adds a kernel import (e.g. http_request) to it.
  const KERNEL = [
    'alloc', 'free', 'length', 'length_unsafe', 'load_u8', 'load_u64', 'store_u8', 'store_u64', 'input_offset', 'input_length',
    'input_load_u8', 'input_load_u64', 'output_set', 'error_set', 'error_get', 'config_get', 'var_get', 'var_set',
    'log_warn', 'log_info', 'log_debug', 'log_error', 'log_trace', 'get_log_level',
  ];

  it('accepts every Extism kernel import and the base host functions, and reports exports and memory maximum', async () => {
    const imports = [...KERNEL.map((name) => fnImport(KERNEL_MODULE, name)), ...BASE_HOST_FUNCTIONS.map((name) => fnImport(HOST_MODULE, name))];
    expect(await inspect(guardWat(imports))).toEqual({ facts: { exports: ['guard_describe', 'guard_request'], memoryMaxPages: 16 }, problems: [] });
  });

  it.each([
    ['the network', KERNEL_MODULE, 'http_request'],
    ['WASI', 'wasi_snapshot_preview1', 'fd_write'],
    ['WASI (preview 2 naming)', 'wasi:cli/stdout', 'get-stdout'],
    ['a host function nobody offers', HOST_MODULE, 'exec'],
    ['a kernel name under the host module', HOST_MODULE, 'alloc'],
    ['a host function under the kernel module', KERNEL_MODULE, 'guard_log'],
    ['a plain env import', 'env', 'abort'],
  ])('refuses an import of %s (%s.%s)', async (_name, module, name) => {
    expect(await inspect(guardWat([fnImport(KERNEL_MODULE, 'alloc'), fnImport(module, name)]))).toEqual({
      problems: [`imports function ${module}.${name}, which this guard is not granted`],
    });
  });

  it('accepts a host function only when the manifest grants it', async () => {
    const wat = guardWat([fnImport(HOST_MODULE, 'guard_fetch_secret')]);
    expect((await inspect(wat)).problems).toEqual([`imports function ${HOST_MODULE}.guard_fetch_secret, which this guard is not granted`]);
    expect(await inspect(wat, { ...GRANTS, hostFunctions: ['guard_fetch_secret'] })).toMatchObject({ facts: { memoryMaxPages: 16 }, problems: [] });
  });

  it('refuses an allowed name imported as something other than a function', async () => {
    const wat = guardWat([`(import "${KERNEL_MODULE}" "alloc" (global i32))`, `(import "${HOST_MODULE}" "guard_log" (table 1 funcref))`]);
    expect((await inspect(wat)).problems).toEqual([
      `imports global ${KERNEL_MODULE}.alloc, which this guard is not granted`,
      `imports table ${HOST_MODULE}.guard_log, which this guard is not granted`,
    ]);
  });

  it('reports every refused import, then goes on to check the memory', async () => {
    const wat = guardWat([fnImport(KERNEL_MODULE, 'http_request'), fnImport('wasi_snapshot_preview1', 'fd_write')], '(memory 1)');
    expect((await inspect(wat)).problems).toEqual([
      `imports function ${KERNEL_MODULE}.http_request, which this guard is not granted`,
      'imports function wasi_snapshot_preview1.fd_write, which this guard is not granted',
      'declares no memory maximum; build it with one of at most 256 pages (max_memory_mb: 16)',
    ]);
  });
});

describe('inspectModule: memory', () => {
  it.each([
    ['1 16', 16, 16],
    ['0 0', 16, 0],
    ['1 16', 1, 16],
    ['1 4096', 256, 4096], // 4096 pages need a two-byte LEB128: the reader decodes multi-byte limits
  ])('accepts (memory %s) under max_memory_mb %d', async (limits, maxMemoryMb, memoryMaxPages) => {
    expect(await inspect(guardWat([], `(memory ${limits})`), { ...GRANTS, maxMemoryMb })).toEqual({
      facts: { exports: ['guard_describe', 'guard_request'], memoryMaxPages },
      problems: [],
    });
  });

  it.each([
    ['1 17', 1, 'declares a memory maximum of 17 pages (1.1 MB), over max_memory_mb: 1'],
    ['1 4097', 256, 'declares a memory maximum of 4097 pages (256.1 MB), over max_memory_mb: 256'],
    ['1 65536', 16, 'declares a memory maximum of 65536 pages (4096.0 MB), over max_memory_mb: 16'],
  ])('refuses (memory %s) under max_memory_mb %d', async (limits, maxMemoryMb, problem) => {
    expect(await inspect(guardWat([], `(memory ${limits})`), { ...GRANTS, maxMemoryMb })).toEqual({ problems: [problem] });
  });

  it('refuses a memory without a maximum, naming the page limit the manifest allows', async () => {
    expect(await inspect(guardWat([], '(memory 1)'), { ...GRANTS, maxMemoryMb: 8 })).toEqual({
      problems: ['declares no memory maximum; build it with one of at most 128 pages (max_memory_mb: 8)'],
    });
  });

  it('refuses a module without a memory', async () => {
    expect(await inspect(guardWat([], ''))).toEqual({ problems: ['declares no memory'] });
  });

  it('refuses an imported memory: the import is not granted and the module has none of its own', async () => {
    expect(await inspect(guardWat([`(import "${KERNEL_MODULE}" "memory" (memory 1 16))`], ''))).toEqual({
      problems: [`imports memory ${KERNEL_MODULE}.memory, which this guard is not granted`, 'declares no memory'],
    });
  });

  it('refuses a shared memory even with a maximum in bounds', async () => {
    expect(await inspect(guardWat([], '(memory 1 16 shared)'), GRANTS, { threads: true })).toEqual({
      problems: ['declares a shared or 64-bit memory, which guards may not use'],
    });
  });

  it('refuses two memories', async () => {
    // wabt builds it with multi_memory; Node 20's V8 will not compile it, hence the stand-in Module.
    const bytes = await assemble('(module (memory 1 16) (memory 1 16))', { multi_memory: true });
    expect(await inspectBytes(bytes)).toEqual({ problems: ['declares 2 memories (one is allowed)'] });
  });

  it('refuses a 64-bit memory', async () => {
    const bytes = await assemble('(module (memory i64 1 16))', { memory64: true });
    // Refused for what it is, not also for a "missing" maximum (64-bit limits are not decoded).
    expect(await inspectBytes(bytes)).toEqual({ problems: ['declares a shared or 64-bit memory, which guards may not use'] });
  });

  it('skips custom sections before the memory section', async () => {
    const bytes = await assemble(guardWat([]));
    // A custom section (id 0) named "x" with two payload bytes, right after the 8-byte header.
    const custom = [0x00, 0x04, 0x01, 0x78, 0xaa, 0xbb];
    const withCustom = new Uint8Array([...bytes.subarray(0, 8), ...custom, ...bytes.subarray(8)]);
    expect(inspectModule(withCustom, new WebAssembly.Module(withCustom), GRANTS)).toMatchObject({ facts: { memoryMaxPages: 16 }, problems: [] });
  });
});

describe('inspectModule: unreadable bytes', () => {
  const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  it.each([
    ['garbage', [0x13, 0x37, 0xc0, 0xde, 0x01, 0x00, 0x00, 0x00], 'not a wasm module'],
    ['an empty stream', [], 'unexpected end of module'],
    ['a stream cut inside the header', HEADER.slice(0, 6), 'unexpected end of module'],
    ['a section longer than the stream', [...HEADER, 0x05, 0x10, 0x01, 0x01], 'truncated section'],
    ['a section size cut short', [...HEADER, 0x05], 'unexpected end of module'],
    ['a memory entry cut short', [...HEADER, 0x05, 0x02, 0x01, 0x01], 'unexpected end of module'],
    ['an over-long LEB128 size', [...HEADER, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 'malformed integer'],
  ])('reports %s instead of throwing', async (_name, bytes, message) => {
    expect(await inspectBytes(new Uint8Array(bytes))).toEqual({ problems: [`cannot read the memory section: ${message}`] });
  });

  it('reports a real module cut short (inside its last section, the code)', async () => {
    const bytes = await assemble(guardWat([]));
    expect(await inspectBytes(bytes.subarray(0, bytes.length - 3))).toEqual({ problems: ['cannot read the memory section: truncated section'] });
  });
});
