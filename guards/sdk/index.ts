// Portcullis guard SDK for AssemblyScript: ABI mcp-guard/1.
//
// A guard's entry file exports guard_describe and one function per phase it handles:
//
//   import { describe, handle, Envelope, Decision, allow, deny } from "../../sdk";
//   export function guard_describe(): i32 { return describe("my-guard", "1.0.0", ["request"]); }
//   export function guard_request(): i32 { return handle(check); }
//   function check(env: Envelope): Decision { return env.tool == "rm" ? deny("no_rm", "rm is off") : allow(); }
//
// Build with guards/build.ts, which passes `--use abort=guards/sdk/index/guardAbort`.
import { Envelope } from "./envelope";
import { Decision } from "./decision";
import { fail, inputString, log, output } from "./host";
import { lastJsonError, parseJson, quote } from "./json";

export * from "./json";
export * from "./envelope";
export * from "./decision";
export * from "./host";

export const ABI = "mcp-guard/1";

/**
 * Writes the guard_describe answer. `configSchema` is optional JSON Schema text for the manifest's `config:`;
 * it is parsed here so a typo in it fails the guard's describe call instead of shipping malformed output.
 */
export function describe(name: string, version: string, phases: Array<string>, configSchema: string = ""): i32 {
  const parts = new Array<string>();
  for (let i = 0; i < phases.length; i++) parts.push(quote(phases[i]));
  let s = '{"abi":' + quote(ABI) + ',"name":' + quote(name) + ',"version":' + quote(version);
  s += ',"phases":[' + parts.join(",") + "]";
  if (configSchema.length > 0) {
    const schema = parseJson(configSchema);
    if (schema === null) return fail("guard_describe: config schema is not JSON: " + lastJsonError());
    s += ',"config_schema":' + schema.toJSON();
  }
  output(s + "}");
  return 0;
}

/**
 * Runs one phase call: reads and parses the envelope, asks `check` for a decision and writes it. An envelope that
 * is not JSON fails the call (the runtime then applies the guard's failure_mode) rather than guessing.
 */
export function handle(check: (env: Envelope) => Decision): i32 {
  const root = parseJson(inputString());
  if (root === null) return fail("envelope is not valid JSON: " + lastJsonError());
  if (!root.isObject) return fail("envelope is not a JSON object");
  check(new Envelope(root)).write();
  return 0;
}

/**
 * The abort handler (`--use abort=guards/sdk/index/guardAbort`; it lives in this file because --use does not
 * follow re-exports). Failed assertions, out-of-bounds access and running out of memory end here: it logs where,
 * then traps, so the runtime applies the guard's failure_mode.
 */
export function guardAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // A static byte, not a global: the standard library reaches this handler before this file's globals exist.
  const aborting = memory.data(1);
  if (load<u8>(aborting) != 0) unreachable(); // logging allocates; if that aborts again, just trap
  store<u8>(aborting, 1);
  let text = "guard aborted";
  if (message !== null) text += ": " + message;
  if (fileName !== null) text += " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
  log(text);
  unreachable();
}
