// pattern-guard: denies a call whose tool name, or any string in its arguments (member names included), contains
// one of config.patterns, compared case-insensitively. Ships with no patterns, so it does nothing until configured.
import { describe, handle, Envelope, Decision, allow, deny, stringsIn } from "../../sdk";

const SCHEMA = `{
  "type": "object",
  "properties": { "patterns": { "type": "array", "items": { "type": "string", "minLength": 1 } } },
  "additionalProperties": false
}`;

export function guard_describe(): i32 {
  return describe("pattern-guard", "1.0.0", ["request"], SCHEMA);
}

export function guard_request(): i32 {
  return handle(check);
}

function check(env: Envelope): Decision {
  const patterns = lowered(env.configStrings("patterns"));
  if (patterns.length == 0) return allow();

  const tool = env.tool;
  if (tool !== null) {
    const hit = firstMatch(tool.toLowerCase(), patterns);
    if (hit >= 0) return deny("pattern_match", "matched pattern " + show(patterns[hit]) + " in the tool name");
  }

  const strings = stringsIn(env.arguments, "/arguments", true);
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    const hit = firstMatch(s.value.toLowerCase(), patterns);
    if (hit >= 0) {
      const where = s.isKey ? "the argument name at " : "";
      return deny("pattern_match", "matched pattern " + show(patterns[hit]) + " in " + where + s.pointer);
    }
  }
  return allow();
}

// Empty patterns are dropped: an empty substring would match every call.
function lowered(patterns: Array<string>): Array<string> {
  const out = new Array<string>();
  for (let i = 0; i < patterns.length; i++) if (patterns[i].length > 0) out.push(patterns[i].toLowerCase());
  return out;
}

function firstMatch(text: string, patterns: Array<string>): i32 {
  for (let i = 0; i < patterns.length; i++) if (text.includes(patterns[i])) return i;
  return -1;
}

// Patterns are operator-written but may be long; keep the reason short.
function show(pattern: string): string {
  return '"' + (pattern.length > 80 ? pattern.substring(0, 80) + "…" : pattern) + '"';
}
