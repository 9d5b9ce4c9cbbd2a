// Typed access to the mcp-guard/1 envelope, and a walk over every string in a value with its JSON pointer.
import { Value } from "./json";

export class Envelope {
  constructor(public readonly root: Value) {}

  /** "request", "response" or "tools_list". */
  get phase(): string {
    return this.root.get("phase").asString();
  }
  get callId(): string {
    return this.root.get("call_id").asString();
  }
  get agent(): string {
    return this.root.get("agent").asString();
  }
  /** The backend the call goes to, or null when the gateway has not routed it to one. */
  get backend(): string | null {
    const v = this.root.get("backend");
    return v.isString ? v.asString() : null;
  }
  /** Tool name for tools/call, prompt name for prompts/get, URI for resources/read; null otherwise. */
  get tool(): string | null {
    const v = this.root.get("tool");
    return v.isString ? v.asString() : null;
  }
  /** The call's arguments (a null value when there are none). */
  get arguments(): Value {
    return this.root.get("arguments");
  }
  /** The MCP result object, e.g. {"content":[{"type":"text","text":"…"}]} (response phase). */
  get result(): Value {
    return this.root.get("result");
  }
  /** The tools/list array of {name, description, inputSchema} (tools_list phase). */
  get tools(): Value {
    return this.root.get("tools");
  }
  /** The manifest's `config:` object (an empty object when absent). */
  get config(): Value {
    const v = this.root.get("config");
    return v.isObject ? v : Value.newObject();
  }
  get sessionLabels(): Array<string> {
    return this.root.get("session_labels").strings();
  }
  hasLabel(label: string): bool {
    return this.root.get("session_labels").includesString(label);
  }

  /** config[name] as a boolean; `fallback` when missing or not a boolean. */
  configBool(name: string, fallback: bool): bool {
    return this.config.get(name).asBool(fallback);
  }
  /** config[name] as a list of strings (non-strings skipped; empty when missing). */
  configStrings(name: string): Array<string> {
    return this.config.get(name).strings();
  }
}

/** A string found in a value: where it is (an RFC 6901 pointer into the envelope) and what it says. */
export class StringAt {
  constructor(
    public readonly pointer: string,
    public readonly value: string,
    /** True for an object member name (pointer is the member's); names can be matched but not redacted. */
    public readonly isKey: bool = false,
  ) {}
}

/**
 * Every string in `value`, depth first in document order, with its pointer below `base` (e.g. "/arguments").
 * A list rather than a callback because AssemblyScript has no closures.
 */
export function stringsIn(value: Value, base: string, includeKeys: bool = false): Array<StringAt> {
  const out = new Array<StringAt>();
  collect(value, base, includeKeys, out);
  return out;
}

function collect(v: Value, pointer: string, includeKeys: bool, out: Array<StringAt>): void {
  if (v.isString) {
    out.push(new StringAt(pointer, v.asString()));
  } else if (v.isArray) {
    for (let i = 0; i < v.length; i++) collect(v.valueAt(i), pointer + "/" + i.toString(), includeKeys, out);
  } else if (v.isObject) {
    for (let i = 0; i < v.length; i++) {
      const name = v.keyAt(i);
      const member = pointer + "/" + escapePointerToken(name);
      if (includeKeys) out.push(new StringAt(member, name, true));
      collect(v.valueAt(i), member, includeKeys, out);
    }
  }
}

/** RFC 6901 token escaping: "~" becomes "~0" and "/" becomes "~1" (in that order). */
export function escapePointerToken(token: string): string {
  if (token.indexOf("~") < 0 && token.indexOf("/") < 0) return token;
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}
