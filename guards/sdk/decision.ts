// The decision a guard writes. The runtime refuses a decision that breaks its limits as a failure of the guard
// (not a partial decision), so the builder keeps within the ones it can keep without changing the meaning:
// reason is cut to 512 UTF-16 units and labels are de-duplicated. Codes and labels must be identifiers
// ([a-z0-9][a-z0-9_.:-]{0,63}); that is the guard author's job.
import { output } from "./host";
import { quote, formatNumber } from "./json";

export const MAX_REASON: i32 = 512;
export const MAX_LABELS: i32 = 32;
export const MAX_REDACTIONS: i32 = 256;

export class Redaction {
  constructor(
    public readonly path: string,
    public readonly start: i32,
    public readonly end: i32,
    public readonly replacement: string,
  ) {}
}

export class Decision {
  labels: Array<string> = new Array<string>();
  redactions: Array<Redaction> = new Array<Redaction>();

  constructor(
    public readonly decision: string,
    public readonly code: string = "",
    public readonly reason: string = "",
  ) {}

  /** Adds a session label (once). */
  label(name: string): Decision {
    if (!this.labels.includes(name)) this.labels.push(name);
    return this;
  }

  /**
   * Replaces UTF-16 units [start, end) of the string at `path` (a JSON pointer into the envelope, e.g.
   * "/result/content/0/text") with `replacement`. Redactions of one string must not overlap.
   */
  redact(path: string, start: i32, end: i32, replacement: string): Decision {
    this.redactions.push(new Redaction(path, start, end, replacement));
    return this;
  }

  toJSON(): string {
    let s = '{"decision":' + quote(this.decision);
    if (this.code.length > 0) s += ',"code":' + quote(this.code);
    if (this.reason.length > 0) s += ',"reason":' + quote(clip(this.reason, MAX_REASON));
    if (this.labels.length > 0) {
      const parts = new Array<string>();
      for (let i = 0; i < this.labels.length; i++) parts.push(quote(this.labels[i]));
      s += ',"labels":[' + parts.join(",") + "]";
    }
    if (this.redactions.length > 0) {
      const parts = new Array<string>();
      for (let i = 0; i < this.redactions.length; i++) {
        const r = this.redactions[i];
        parts.push(
          '{"path":' +
            quote(r.path) +
            ',"start":' +
            formatNumber(<f64>r.start) +
            ',"end":' +
            formatNumber(<f64>r.end) +
            ',"replacement":' +
            quote(r.replacement) +
            "}",
        );
      }
      s += ',"redactions":[' + parts.join(",") + "]";
    }
    return s + "}";
  }

  /** Writes this decision as the call's output. */
  write(): void {
    output(this.toJSON());
  }
}

export function allow(): Decision {
  return new Decision("allow");
}

export function deny(code: string, reason: string): Decision {
  return new Decision("deny", code, reason);
}

export function quarantine(code: string, reason: string): Decision {
  return new Decision("quarantine", code, reason);
}

// Cuts to at most `max` UTF-16 units without splitting a surrogate pair.
function clip(s: string, max: i32): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.substring(0, end);
}
