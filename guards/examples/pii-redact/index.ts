// pii-redact: in a tool result, replaces email addresses with [email] and payment card numbers with [card].
//
// Cards: 13-19 digits, optionally in groups separated by single spaces or dashes, passing the Luhn check.
// Emails: local@domain with a dotted domain whose last label is at least two letters; non-ASCII letters count as
// letters (zoë@exämple.de), so internationalised addresses are redacted whole rather than leaving a prefix behind.
// Offsets are UTF-16 units of the string as the guard read it, which is what the runtime expects.
import { describe, handle, Envelope, Decision, allow, deny, stringsIn, MAX_REDACTIONS } from "../../sdk";

const SCHEMA = `{
  "type": "object",
  "properties": { "emails": { "type": "boolean" }, "cards": { "type": "boolean" } },
  "additionalProperties": false
}`;

// Keeps the decision well under the 64 KiB output limit even with long pointers.
const MAX_POINTER_BYTES: i32 = 40000;

export function guard_describe(): i32 {
  return describe("pii-redact", "1.0.0", ["response"], SCHEMA);
}

export function guard_response(): i32 {
  return handle(check);
}

class Span {
  constructor(public start: i32, public end: i32, public replacement: string) {}
}

function check(env: Envelope): Decision {
  const emails = env.configBool("emails", true);
  const cards = env.configBool("cards", true);
  const d = allow();
  if (!emails && !cards) return d;

  let pointerBytes = 0;
  const strings = stringsIn(env.result, "/result");
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    const spans = findPii(s.value, emails, cards);
    for (let j = 0; j < spans.length; j++) {
      const span = spans[j];
      d.redact(s.pointer, span.start, span.end, span.replacement);
      pointerBytes += s.pointer.length;
    }
    // Too much to list: withholding the result is safer than passing some of it through unredacted.
    if (d.redactions.length > MAX_REDACTIONS || pointerBytes > MAX_POINTER_BYTES) {
      return deny("pii_overflow", "the result holds more personal data than one decision can redact");
    }
  }
  if (d.redactions.length > 0) d.label("pii-redacted");
  return d;
}

/** Email and card spans in `text`, in order, never overlapping (an address's digits are not also a card). */
function findPii(text: string, emails: bool, cards: bool): Array<Span> {
  const found = emails ? findEmails(text) : new Array<Span>();
  if (!cards) return found;
  const cardSpans = findCards(text);
  if (found.length == 0) return cardSpans;
  for (let i = 0; i < cardSpans.length; i++) {
    const c = cardSpans[i];
    let overlaps = false;
    for (let j = 0; j < found.length; j++) {
      if (c.start < found[j].end && found[j].start < c.end) overlaps = true;
    }
    if (!overlaps) found.push(c);
  }
  found.sort((a: Span, b: Span): i32 => a.start - b.start);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Emails

function isAsciiAlnum(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAsciiAlpha(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

// A non-ASCII UTF-16 unit that is probably part of a word (letters, marks, CJK), not punctuation or a space.
// An approximation without Unicode tables; astral characters (emoji) count as separators.
function isWordUnit(c: i32): bool {
  if (c < 0x80) return false;
  if (c < 0xc0) return c == 0xaa || c == 0xb5 || c == 0xba;
  if (c == 0xd7 || c == 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false; // general punctuation, symbols, arrows, shapes
  if (c >= 0x2e00 && c <= 0x2e7f) return false; // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303f) return false; // CJK punctuation, ideographic space
  if (c >= 0xd800 && c <= 0xdfff) return false; // surrogates (emoji and other astral characters)
  if (c >= 0xfe00 && c <= 0xfe6f) return false; // variation selectors, vertical and small forms
  if (c >= 0xfeff && c <= 0xff20) return false; // BOM, fullwidth punctuation and digits
  if (c >= 0xff3b && c <= 0xff40) return false;
  if (c >= 0xff5b && c <= 0xff65) return false;
  if (c >= 0xfff0) return false;
  return true;
}

function isLocalChar(c: i32): bool {
  return isAsciiAlnum(c) || c == 0x2e || c == 0x5f || c == 0x25 || c == 0x2b || c == 0x2d || isWordUnit(c); // . _ % + -
}

function isDomainChar(c: i32): bool {
  return isAsciiAlnum(c) || c == 0x2d || c == 0x2e || isWordUnit(c); // - .
}

function findEmails(s: string): Array<Span> {
  const out = new Array<Span>();
  const n = s.length;
  let from = 0;
  let lastEnd = 0;
  while (from < n) {
    const at = s.indexOf("@", from);
    if (at < 0) break;
    from = at + 1;
    let start = at;
    while (start > lastEnd && isLocalChar(s.charCodeAt(start - 1))) start--;
    while (start < at && s.charCodeAt(start) == 0x2e) start++; // a local part does not start with a dot
    if (start == at) continue;
    let stop = at + 1;
    while (stop < n && isDomainChar(s.charCodeAt(stop))) stop++;
    const end = domainEnd(s, at + 1, stop);
    if (end < 0) continue;
    out.push(new Span(start, end, "[email]"));
    lastEnd = end;
    from = end;
  }
  return out;
}

// End of the longest dotted domain starting at `start` (candidates run to `stop`): labels of letters, digits and
// inner hyphens, at least two of them, the last one two or more letters. -1 when there is none. Trailing dots and
// hyphens ("mail me at bob@example.com.") are sentence punctuation, not part of the address.
function domainEnd(s: string, start: i32, stop: i32): i32 {
  while (stop > start && (s.charCodeAt(stop - 1) == 0x2e || s.charCodeAt(stop - 1) == 0x2d)) stop--;
  let best = -1;
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= stop; i++) {
    if (i < stop && s.charCodeAt(i) != 0x2e) continue;
    const len = i - labelStart;
    if (len == 0 || len > 63) break;
    if (s.charCodeAt(labelStart) == 0x2d || s.charCodeAt(i - 1) == 0x2d) break;
    labels++;
    if (labels >= 2 && len >= 2 && isAlphaLabel(s, labelStart, i)) best = i;
    labelStart = i + 1;
  }
  return best;
}

function isAlphaLabel(s: string, start: i32, end: i32): bool {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isAsciiAlpha(c) && !isWordUnit(c)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Cards

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isSeparator(c: i32): bool {
  return c == 0x20 || c == 0x2d;
}

// Finds runs of digit groups joined by single separators ("4111 1111-1111 1111"), then within each run the
// groups that together hold 13-19 digits and pass Luhn, longest first. A bare run of more than 19 digits is some
// other identifier and is left alone.
function findCards(s: string): Array<Span> {
  const out = new Array<Span>();
  const n = s.length;
  const starts = new Array<i32>();
  const ends = new Array<i32>();
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    starts.length = 0;
    ends.length = 0;
    let pos = i;
    while (true) {
      const groupStart = pos;
      while (pos < n && isDigit(s.charCodeAt(pos))) pos++;
      starts.push(groupStart);
      ends.push(pos);
      if (pos + 1 < n && isSeparator(s.charCodeAt(pos)) && isDigit(s.charCodeAt(pos + 1))) {
        pos++;
        continue;
      }
      break;
    }
    let a = 0;
    while (a < starts.length) {
      let digits = 0;
      let best = -1;
      for (let b = a; b < starts.length; b++) {
        digits += ends[b] - starts[b];
        if (digits > 19) break;
        if (digits >= 13 && luhn(s, starts, ends, a, b)) best = b;
      }
      if (best >= 0) {
        out.push(new Span(starts[a], ends[best], "[card]"));
        a = best + 1;
      } else {
        a++;
      }
    }
    i = pos;
  }
  return out;
}

// Luhn over the digits of groups a..b: from the right, every second digit is doubled (minus 9 when over 9).
function luhn(s: string, starts: Array<i32>, ends: Array<i32>, a: i32, b: i32): bool {
  let sum = 0;
  let double = false;
  for (let g = b; g >= a; g--) {
    for (let i = ends[g] - 1; i >= starts[g]; i--) {
      let d = s.charCodeAt(i) - 0x30;
      if (double) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      double = !double;
    }
  }
  return sum % 10 == 0;
}
