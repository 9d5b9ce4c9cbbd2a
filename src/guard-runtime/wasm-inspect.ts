/**
 * Static checks on a guard module before it ever runs: what it imports and how much memory it may grow to.
 * Extism 2.0.0-rc13 cannot cap a guest's own linear memory (DESIGN.md §5); the module's declared maximum can, so a
 * module without one, or with more than its manifest allows, is refused here.
 */

export const PAGE_BYTES = 65_536;

/** Extism kernel imports a guard may use. `http_request` is left out: guards get no network. */
const KERNEL_IMPORTS = new Set([
  'alloc', 'free', 'length', 'length_unsafe', 'load_u8', 'load_u64', 'store_u8', 'store_u64', 'input_offset', 'input_length',
  'input_load_u8', 'input_load_u64', 'output_set', 'error_set', 'error_get', 'config_get', 'var_get', 'var_set',
  'log_warn', 'log_info', 'log_debug', 'log_error', 'log_trace', 'get_log_level',
]);

export const KERNEL_MODULE = 'extism:host/env';
export const HOST_MODULE = 'extism:host/user';
/** Host functions every guard gets. */
export const BASE_HOST_FUNCTIONS = ['guard_log', 'guard_now_ms'] as const;

export interface ModuleFacts {
  readonly exports: readonly string[];
  /** Declared maximum of the module's own memory, in 64 KiB pages. */
  readonly memoryMaxPages: number;
}

/** Checks a compiled module against what its manifest grants; returns problems (empty = fine). */
export function inspectModule(
  bytes: Uint8Array,
  module: WebAssembly.Module,
  grants: { readonly hostFunctions: readonly string[]; readonly maxMemoryMb: number },
): { facts?: ModuleFacts; problems: string[] } {
  const problems: string[] = [];
  const allowedHost = new Set<string>([...BASE_HOST_FUNCTIONS, ...grants.hostFunctions]);
  for (const imp of WebAssembly.Module.imports(module)) {
    const allowed =
      imp.kind === 'function' &&
      ((imp.module === KERNEL_MODULE && KERNEL_IMPORTS.has(imp.name)) || (imp.module === HOST_MODULE && allowedHost.has(imp.name)));
    if (!allowed) problems.push(`imports ${imp.kind} ${imp.module}.${imp.name}, which this guard is not granted`);
  }
  const exports = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  let memories: readonly Limits[];
  try {
    memories = declaredMemories(bytes);
  } catch (error) {
    problems.push(`cannot read the memory section: ${(error as Error).message}`);
    return { problems };
  }
  if (memories.length !== 1) {
    problems.push(memories.length === 0 ? 'declares no memory' : `declares ${memories.length} memories (one is allowed)`);
    return { problems };
  }
  const memory = memories[0]!;
  const limitPages = grants.maxMemoryMb * 16;
  if (memory.shared || memory.memory64) {
    problems.push('declares a shared or 64-bit memory, which guards may not use');
  } else if (memory.max === undefined) {
    problems.push(`declares no memory maximum; build it with one of at most ${limitPages} pages (max_memory_mb: ${grants.maxMemoryMb})`);
  } else if (memory.max > limitPages) {
    problems.push(`declares a memory maximum of ${memory.max} pages (${(memory.max / 16).toFixed(1)} MB), over max_memory_mb: ${grants.maxMemoryMb}`);
  }
  return problems.length > 0 ? { problems } : { facts: { exports, memoryMaxPages: memory.max! }, problems };
}

interface Limits {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly memory64: boolean;
}

/** The memories a module defines (section 5). Imported memories are refused by the import check. */
function declaredMemories(bytes: Uint8Array): Limits[] {
  const reader = new Reader(bytes);
  if (reader.u32le() !== 0x6d736100) throw new Error('not a wasm module');
  reader.u32le(); // version
  const memories: Limits[] = [];
  while (!reader.done()) {
    const id = reader.byte();
    const size = reader.leb();
    const end = reader.offset + size;
    if (end > bytes.length) throw new Error('truncated section');
    if (id === 5) {
      const count = reader.leb();
      for (let i = 0; i < count; i++) {
        const flags = reader.byte();
        if (flags & 0x04) {
          memories.push({ min: 0, max: undefined, shared: Boolean(flags & 0x02), memory64: true });
          break; // 64-bit limits are refused anyway; no need to decode them
        }
        const min = reader.leb();
        const max = flags & 0x01 ? reader.leb() : undefined;
        memories.push({ min, max, shared: Boolean(flags & 0x02), memory64: false });
      }
    }
    reader.offset = end;
  }
  return memories;
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  done(): boolean {
    return this.offset >= this.bytes.length;
  }
  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('unexpected end of module');
    return this.bytes[this.offset++]!;
  }
  u32le(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) value |= this.byte() << (8 * i);
    return value >>> 0;
  }
  /** Unsigned LEB128, at most 5 bytes (u32). */
  leb(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('malformed integer');
  }
}
