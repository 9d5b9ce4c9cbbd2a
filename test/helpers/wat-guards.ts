/**
 * Guard modules written in WebAssembly text, built with the `wabt` npm package: the hostile fixtures (loops, memory
 * bombs, traps, garbage output, undeclared imports) that a real guard SDK would never produce, and tiny well-behaved
 * guards whose decision is a fixed JSON text.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabt from 'wabt';

let wabtModule: Awaited<ReturnType<typeof wabt>> | undefined;

export async function compileWat(text: string): Promise<Uint8Array> {
  wabtModule ??= await wabt();
  const module = wabtModule.parseWat('guard.wat', text);
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

export interface WatGuardOptions {
  readonly name: string;
  /** Per exported phase function: a fixed decision (JSON text) or raw WAT instructions for its body (`(i32.const 0)` at the end is added). */
  readonly request?: string | { readonly wat: string };
  readonly response?: string | { readonly wat: string };
  readonly toolsList?: string | { readonly wat: string };
  /** `(memory ...)` limits; default `1 16` (a declared maximum of 16 pages = 1 MiB). */
  readonly memory?: string;
  /** Extra import lines. */
  readonly imports?: readonly string[];
  readonly describePhases?: readonly string[];
  /** A text placed at memory offset 64 (at most 900 bytes), for raw WAT bodies to write out with `$out`. */
  readonly text?: string;
}

const STRING_BASE = 1024;

/** The WAT text of a guard; strings live in data segments and are written out through the Extism kernel. */
export function watGuard(options: WatGuardOptions): string {
  const phases = options.describePhases ?? [
    ...(options.request !== undefined ? ['request'] : []),
    ...(options.response !== undefined ? ['response'] : []),
    ...(options.toolsList !== undefined ? ['tools_list'] : []),
  ];
  const strings: string[] = [];
  const data: string[] = [];
  let offset = STRING_BASE;
  const literal = (text: string): { ptr: number; len: number } => {
    const bytes = Buffer.from(text, 'utf8');
    const at = { ptr: offset, len: bytes.length };
    data.push(`(data (i32.const ${offset}) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}")`);
    strings.push(text);
    offset += bytes.length + 8;
    return at;
  };
  const body = (spec: string | { wat: string }): string => {
    if (typeof spec !== 'string') return `${spec.wat}\n    (i32.const 0)`;
    const at = literal(spec);
    return `(call $out (i32.const ${at.ptr}) (i32.const ${at.len}))\n    (i32.const 0)`;
  };
  if (options.text !== undefined) {
    data.push(`(data (i32.const 64) "${[...Buffer.from(options.text, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}")`);
  }
  const describe = literal(JSON.stringify({ abi: 'mcp-guard/1', name: options.name, version: '0.0.1', phases }));
  const fn = (exportName: string, spec: string | { wat: string } | undefined): string =>
    spec === undefined ? '' : `(func (export "${exportName}") (result i32)\n    ${body(spec)})`;
  const exported = [fn('guard_request', options.request), fn('guard_response', options.response), fn('guard_tools_list', options.toolsList)];
  return `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  ${(options.imports ?? []).join('\n  ')}
  (memory (export "memory") ${options.memory ?? '1 16'})
  ${data.join('\n  ')}
  (func $out (param $ptr i32) (param $len i32) (local $block i64) (local $i i32)
    (local.set $block (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $block) (i64.extend_i32_u (local.get $i))) (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (call $output_set (local.get $block) (i64.extend_i32_u (local.get $len))))
  (func (export "guard_describe") (result i32)
    (call $out (i32.const ${describe.ptr}) (i32.const ${describe.len}))
    (i32.const 0))
  ${exported.join('\n  ')}
)`;
}

/** WAT bodies of hostile guards. */
export const HOSTILE = {
  loop: { wat: '(loop $forever (br $forever))' },
  memoryBomb: { wat: '(block $full (loop $grow (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br $grow))) unreachable' },
  trap: { wat: 'unreachable' },
} as const;

/** Writes `<dir>/<name>.wasm` and its manifest; returns the wasm's sha256. */
export async function writeGuard(dir: string, name: string, wat: string, manifest: Record<string, unknown> = {}): Promise<string> {
  const bytes = await compileWat(wat);
  writeFileSync(join(dir, `${name}.wasm`), bytes);
  writeManifest(dir, name, manifest);
  return createHash('sha256').update(bytes).digest('hex');
}

export function writeManifest(dir: string, name: string, manifest: Record<string, unknown>): void {
  writeFileSync(join(dir, `${name}.guard.yaml`), `${JSON.stringify({ name, ...manifest }, null, 2)}\n`);
}
