// What a guard may ask of its host under mcp-guard/1: the Extism kernel (input, output, memory blocks) and the two
// `extism:host/user` functions every guard is granted. Nothing else may be imported — no env.abort, env.trace,
// env.seed or WASI — which is why the build points `--use abort=` at guardAbort (index.ts) and guards avoid
// Math.random, Date and trace.
import { Host, Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";

@external("extism:host/user", "guard_log")
declare function guard_log(offset: u64): void;

@external("extism:host/user", "guard_now_ms")
declare function guard_now_ms(): u64;

/** Writes a line to the gateway's log for this guard. */
export function log(message: string): void {
  const mem = Memory.allocateString(message);
  guard_log(mem.offset);
  mem.free(); // the host copied it during the call
}

/** Wall-clock milliseconds from the host (guards have no clock of their own). */
export function nowMs(): u64 {
  return guard_now_ms();
}

/** The call's input (the envelope) as a string; Extism input is UTF-8. */
export function inputString(): string {
  return String.UTF8.decode(Host.input().buffer);
}

/**
 * Sets the call's output to `s` as UTF-8. Host.outputString is not used: it takes the UTF-16 length for the byte
 * length, which cuts off (or pads) any output holding non-ASCII text.
 */
export function output(s: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(s)));
}

/** Fails the current call with a message (the export then returns non-zero; the host sees an error). */
export function fail(message: string): i32 {
  log(message);
  error_set(Memory.allocateString(message).offset);
  return 1;
}
