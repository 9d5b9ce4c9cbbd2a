// A small JSON library for guards (AssemblyScript).
//
// The envelope is untrusted input, so parsing is strict (RFC 8259: no trailing commas, no comments, no raw control
// characters in strings, no leading zeros) and bounded (nesting deeper than MAX_DEPTH is refused rather than
// risking the wasm stack). AssemblyScript has no exceptions, so parseJson returns null and keeps the reason in
// lastJsonError().
//
// Strings are AssemblyScript strings, i.e. UTF-16 like JavaScript's, so offsets a guard computes in them are the
// UTF-16 code-unit offsets the runtime expects for redactions.

export const MAX_DEPTH: i32 = 64;

export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

// One class for every kind keeps the tree free of downcasts; only the fields of its kind are meaningful.
export class Value {
  kind: Kind = Kind.Null;
  private b: bool = false;
  private n: f64 = 0;
  private s: string = "";
  // Array elements, or an object's member values (parallel to `names`).
  private items: Array<Value> | null = null;
  // Object member names, in document order.
  private names: Array<string> | null = null;
  // Name -> position, built only for larger objects so lookups and duplicate checks stay linear overall.
  private index: Map<string, i32> | null = null;

  static ofNull(): Value {
    return new Value();
  }

  static ofBool(b: bool): Value {
    const v = new Value();
    v.kind = Kind.Bool;
    v.b = b;
    return v;
  }

  static ofNumber(n: f64): Value {
    const v = new Value();
    v.kind = Kind.Number;
    v.n = n;
    return v;
  }

  static ofString(s: string): Value {
    const v = new Value();
    v.kind = Kind.String;
    v.s = s;
    return v;
  }

  static newArray(): Value {
    const v = new Value();
    v.kind = Kind.Array;
    v.items = new Array<Value>();
    return v;
  }

  static newObject(): Value {
    const v = new Value();
    v.kind = Kind.Object;
    v.items = new Array<Value>();
    v.names = new Array<string>();
    return v;
  }

  get isNull(): bool {
    return this.kind == Kind.Null;
  }
  get isBool(): bool {
    return this.kind == Kind.Bool;
  }
  get isNumber(): bool {
    return this.kind == Kind.Number;
  }
  get isString(): bool {
    return this.kind == Kind.String;
  }
  get isArray(): bool {
    return this.kind == Kind.Array;
  }
  get isObject(): bool {
    return this.kind == Kind.Object;
  }

  /** The boolean, or `fallback` when this is not a boolean. */
  asBool(fallback: bool = false): bool {
    return this.kind == Kind.Bool ? this.b : fallback;
  }

  /** The number, or `fallback` when this is not a number. */
  asNumber(fallback: f64 = 0): f64 {
    return this.kind == Kind.Number ? this.n : fallback;
  }

  /** The string, or `fallback` when this is not a string. */
  asString(fallback: string = ""): string {
    return this.kind == Kind.String ? this.s : fallback;
  }

  /** Number of array elements or object members; 0 for scalars. */
  get length(): i32 {
    const items = this.items;
    return items === null ? 0 : items.length;
  }

  /** Array element `i`, or a null value when out of range or not an array. */
  at(i: i32): Value {
    const items = this.items;
    if (this.kind != Kind.Array || items === null || i < 0 || i >= items.length) return NULL;
    return items[i];
  }

  /** Object member names in document order (empty for non-objects). */
  keys(): Array<string> {
    const names = this.names;
    return names === null ? new Array<string>() : names.slice(0);
  }

  /** Object member name at position `i` (objects only). */
  keyAt(i: i32): string {
    return this.names![i];
  }

  /** Object member value or array element at position `i`. */
  valueAt(i: i32): Value {
    return this.items![i];
  }

  /** Whether this object has a member `name`. */
  has(name: string): bool {
    return this.find(name) >= 0;
  }

  /** Object member `name`, or a null value when missing or not an object. */
  get(name: string): Value {
    const i = this.find(name);
    return i < 0 ? NULL : this.items![i];
  }

  /** Appends to an array. */
  push(v: Value): Value {
    assert(this.kind == Kind.Array, "push on a non-array");
    this.items!.push(v);
    return this;
  }

  /** Sets an object member; a name that exists keeps its position (like JSON.parse, the last value wins). */
  set(name: string, v: Value): Value {
    assert(this.kind == Kind.Object, "set on a non-object");
    const i = this.find(name);
    if (i >= 0) {
      this.items![i] = v;
      return this;
    }
    const names = this.names!;
    names.push(name);
    this.items!.push(v);
    let index = this.index;
    if (index !== null) {
      index.set(name, names.length - 1);
    } else if (names.length > 8) {
      index = new Map<string, i32>();
      for (let j = 0; j < names.length; j++) index.set(names[j], j);
      this.index = index;
    }
    return this;
  }

  /** The array's elements that are strings (non-strings are skipped). */
  strings(): Array<string> {
    const out = new Array<string>();
    if (this.kind != Kind.Array) return out;
    const items = this.items!;
    for (let i = 0; i < items.length; i++) {
      if (items[i].kind == Kind.String) out.push(items[i].s);
    }
    return out;
  }

  /** Whether this is an array holding the string `s`. */
  includesString(s: string): bool {
    if (this.kind != Kind.Array) return false;
    const items = this.items!;
    for (let i = 0; i < items.length; i++) {
      if (items[i].kind == Kind.String && items[i].s == s) return true;
    }
    return false;
  }

  toJSON(): string {
    const out = new Array<string>();
    writeValue(out, this);
    return out.join("");
  }

  private find(name: string): i32 {
    if (this.kind != Kind.Object) return -1;
    const index = this.index;
    if (index !== null) return index.has(name) ? index.get(name) : -1;
    const names = this.names!;
    for (let i = 0; i < names.length; i++) if (names[i] == name) return i;
    return -1;
  }
}

// Shared answer for "absent": never mutated (push/set assert on kind).
const NULL = new Value();

// ---------------------------------------------------------------------------------------------------------------
// Parsing

let lastError: string = "";

/** Why the last parseJson call returned null. */
export function lastJsonError(): string {
  return lastError;
}

/** Parses a JSON text; null (see lastJsonError) when it is not exactly one valid JSON value. */
export function parseJson(text: string): Value | null {
  const p = new Parser(text);
  const v = p.value(0);
  if (v !== null) {
    p.skipSpace();
    if (p.pos < text.length) return p.fail("unexpected text after the JSON value");
  }
  if (v !== null) lastError = "";
  return v;
}

class Parser {
  pos: i32 = 0;
  constructor(public text: string) {}

  fail(message: string): Value | null {
    lastError = message + " at offset " + this.pos.toString();
    return null;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  value(depth: i32): Value | null {
    this.skipSpace();
    const t = this.text;
    if (this.pos >= t.length) return this.fail("unexpected end of JSON");
    const c = t.charCodeAt(this.pos);
    if (c == 0x7b /* { */) return this.object(depth + 1);
    if (c == 0x5b /* [ */) return this.array(depth + 1);
    if (c == 0x22 /* " */) {
      const s = this.string();
      return s === null ? null : Value.ofString(s);
    }
    if (c == 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) return Value.ofBool(true);
    if (this.literal("false")) return Value.ofBool(false);
    if (this.literal("null")) return Value.ofNull();
    return this.fail("unexpected character");
  }

  literal(word: string): bool {
    const t = this.text;
    if (this.pos + word.length > t.length) return false;
    for (let i = 0; i < word.length; i++) {
      if (t.charCodeAt(this.pos + i) != word.charCodeAt(i)) return false;
    }
    this.pos += word.length;
    return true;
  }

  object(depth: i32): Value | null {
    if (depth > MAX_DEPTH) return this.fail("JSON nested deeper than " + MAX_DEPTH.toString());
    const t = this.text;
    const obj = Value.newObject();
    this.pos++; // {
    this.skipSpace();
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x7d /* } */) {
      this.pos++;
      return obj;
    }
    while (true) {
      this.skipSpace();
      if (this.pos >= t.length || t.charCodeAt(this.pos) != 0x22) return this.fail("expected a member name");
      const name = this.string();
      if (name === null) return null;
      this.skipSpace();
      if (this.pos >= t.length || t.charCodeAt(this.pos) != 0x3a /* : */) return this.fail("expected ':'");
      this.pos++;
      const v = this.value(depth);
      if (v === null) return null;
      obj.set(name, v);
      this.skipSpace();
      if (this.pos >= t.length) return this.fail("unexpected end of JSON in an object");
      const c = t.charCodeAt(this.pos++);
      if (c == 0x7d /* } */) return obj;
      if (c != 0x2c /* , */) {
        this.pos--;
        return this.fail("expected ',' or '}'");
      }
    }
    return null; // unreachable; keeps the compiler's flow analysis happy
  }

  array(depth: i32): Value | null {
    if (depth > MAX_DEPTH) return this.fail("JSON nested deeper than " + MAX_DEPTH.toString());
    const t = this.text;
    const arr = Value.newArray();
    this.pos++; // [
    this.skipSpace();
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x5d /* ] */) {
      this.pos++;
      return arr;
    }
    while (true) {
      const v = this.value(depth);
      if (v === null) return null;
      arr.push(v);
      this.skipSpace();
      if (this.pos >= t.length) return this.fail("unexpected end of JSON in an array");
      const c = t.charCodeAt(this.pos++);
      if (c == 0x5d /* ] */) return arr;
      if (c != 0x2c /* , */) {
        this.pos--;
        return this.fail("expected ',' or ']'");
      }
    }
    return null;
  }

  // Reads a string starting at the opening quote. Unescaped runs are copied as substrings; \uXXXX escapes are
  // copied as code units, so an escaped surrogate pair (\ud83d\ude00) becomes the same pair JavaScript would have.
  string(): string | null {
    const t = this.text;
    this.pos++; // opening quote
    let runStart = this.pos;
    let parts: Array<string> | null = null;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c == 0x22 /* " */) {
        const tail = t.substring(runStart, this.pos);
        this.pos++;
        if (parts === null) return tail;
        parts.push(tail);
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("raw control character in a string");
        return null;
      }
      if (c != 0x5c /* \ */) {
        this.pos++;
        continue;
      }
      if (parts === null) parts = new Array<string>();
      parts.push(t.substring(runStart, this.pos));
      this.pos++;
      if (this.pos >= t.length) break;
      const e = t.charCodeAt(this.pos++);
      let unit: i32 = -1;
      if (e == 0x22) unit = 0x22;
      else if (e == 0x5c) unit = 0x5c;
      else if (e == 0x2f) unit = 0x2f;
      else if (e == 0x62 /* b */) unit = 0x08;
      else if (e == 0x66 /* f */) unit = 0x0c;
      else if (e == 0x6e /* n */) unit = 0x0a;
      else if (e == 0x72 /* r */) unit = 0x0d;
      else if (e == 0x74 /* t */) unit = 0x09;
      else if (e == 0x75 /* u */) {
        unit = 0;
        for (let i = 0; i < 4; i++) {
          const h = this.pos < t.length ? hexDigit(t.charCodeAt(this.pos)) : -1;
          if (h < 0) {
            this.fail("bad \\u escape");
            return null;
          }
          unit = (unit << 4) | h;
          this.pos++;
        }
      }
      if (unit < 0) {
        this.pos--;
        this.fail("bad escape");
        return null;
      }
      parts.push(String.fromCharCode(unit));
      runStart = this.pos;
    }
    this.fail("unterminated string");
    return null;
  }

  // Checks the JSON number grammar by hand (parseFloat alone would accept "1.", "01", "Infinity"), then converts.
  number(): Value | null {
    const t = this.text;
    const start = this.pos;
    if (t.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (this.pos >= t.length) return this.fail("bad number");
    let c = t.charCodeAt(this.pos);
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      this.digits();
    } else {
      return this.fail("bad number");
    }
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x2e /* . */) {
      this.pos++;
      if (this.digits() == 0) return this.fail("bad number: digits expected after '.'");
    }
    if (this.pos < t.length) {
      c = t.charCodeAt(this.pos);
      if (c == 0x65 || c == 0x45 /* e E */) {
        this.pos++;
        if (this.pos < t.length) {
          c = t.charCodeAt(this.pos);
          if (c == 0x2b || c == 0x2d) this.pos++;
        }
        if (this.digits() == 0) return this.fail("bad number: digits expected in the exponent");
      }
    }
    return Value.ofNumber(parseFloat(t.substring(start, this.pos)));
  }

  digits(): i32 {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** `s` as a JSON string literal, quotes included. */
export function quote(s: string): string {
  const out = new Array<string>();
  writeString(out, s);
  return out.join("");
}

/** A number as JSON: integers without a fraction, non-finite numbers (which JSON cannot hold) as null. */
export function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == Math.floor(n) && Math.abs(n) < 9007199254740992.0) return (<i64>n).toString(); // also turns -0 into 0
  const s = n.toString();
  // AssemblyScript writes large integral values as "1.8446744073709552e+19" or "9007199254740992.0"; the latter
  // is valid JSON, but JavaScript would write it without the ".0".
  return s.endsWith(".0") ? s.substring(0, s.length - 2) : s;
}

function writeValue(out: Array<string>, v: Value): void {
  switch (v.kind) {
    case Kind.Null:
      out.push("null");
      break;
    case Kind.Bool:
      out.push(v.asBool() ? "true" : "false");
      break;
    case Kind.Number:
      out.push(formatNumber(v.asNumber()));
      break;
    case Kind.String:
      writeString(out, v.asString());
      break;
    case Kind.Array: {
      out.push("[");
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.push(",");
        writeValue(out, v.valueAt(i));
      }
      out.push("]");
      break;
    }
    case Kind.Object: {
      out.push("{");
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.push(",");
        writeString(out, v.keyAt(i));
        out.push(":");
        writeValue(out, v.valueAt(i));
      }
      out.push("}");
      break;
    }
  }
}

const HEX = "0123456789abcdef";

// Escapes quotes, backslashes and control characters; also lone surrogates, which have no UTF-8 encoding (this is
// what JavaScript's JSON.stringify does, and it keeps our output valid UTF-8).
function writeString(out: Array<string>, s: string): void {
  out.push('"');
  let runStart = 0;
  let escaped = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let escape: string | null = null;
    if (c == 0x22) escape = '\\"';
    else if (c == 0x5c) escape = "\\\\";
    else if (c == 0x0a) escape = "\\n";
    else if (c == 0x0d) escape = "\\r";
    else if (c == 0x09) escape = "\\t";
    else if (c == 0x08) escape = "\\b";
    else if (c == 0x0c) escape = "\\f";
    else if (c < 0x20) escape = unicodeEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A high surrogate is fine when a low one follows: skip over the pair.
      if (i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      escape = unicodeEscape(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) escape = unicodeEscape(c);
    if (escape === null) continue;
    if (i > runStart) out.push(s.substring(runStart, i));
    out.push(escape);
    runStart = i + 1;
    escaped = true;
  }
  if (!escaped) out.push(s);
  else if (runStart < n) out.push(s.substring(runStart, n));
  out.push('"');
}

function unicodeEscape(c: i32): string {
  return (
    "\\u" +
    HEX.charAt((c >> 12) & 15) +
    HEX.charAt((c >> 8) & 15) +
    HEX.charAt((c >> 4) & 15) +
    HEX.charAt(c & 15)
  );
}
