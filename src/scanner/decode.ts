/**
 * Finds text hidden in encodings — base64, hex, URL-encoding, HTML entities — and decodes it so the same rules can
 * read it (DESIGN.md §4 `decode`). Only decodings that yield readable text count: binary, hashes and ids decode to
 * noise and are left alone. Bounded: a few segments per string, each of limited size. The patterns here are single
 * character-class runs, linear in the input on any regex engine.
 */

/** A decoded piece of a string: the original span it came from and what it says. */
export interface DecodedSegment {
  readonly start: number;
  readonly end: number;
  readonly encoding: 'base64' | 'hex' | 'url' | 'html';
  readonly text: string;
}

export const DECODE_LIMITS = { segmentsPerString: 16, segmentChars: 65_536 } as const;

/** Shortest run of base64 or hex characters worth decoding (12 bytes of base64, 8 of hex). */
const MIN_RUN = 16;
const ESCAPED_HEX = /(?:\\x[0-9a-fA-F]{2}){4,}/g;
const URL_ESCAPE = /%[0-9a-fA-F]{2}/g;
const HTML_ENTITY = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,7});/g;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  sol: '/',
  colon: ':',
  lpar: '(',
  rpar: ')',
  period: '.',
  comma: ',',
  excl: '!',
  quest: '?',
  equals: '=',
  num: '#',
  dollar: '$',
  percnt: '%',
  semi: ';',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  bsol: '\\',
  verbar: '|',
  grave: '`',
  tab: '\t',
  newline: '\n',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Every readable decoding found in `text`, in order of position, at most DECODE_LIMITS.segmentsPerString. */
export function findEncodedSegments(text: string): DecodedSegment[] {
  const segments: DecodedSegment[] = [];
  const add = (segment: DecodedSegment | undefined): void => {
    if (segment && segments.length < DECODE_LIMITS.segmentsPerString) segments.push(segment);
  };
  if (text.length < 8) return segments;
  for (const run of encodedRuns(text)) {
    const blob = text.slice(run.start, run.end);
    add(/^(?:0x)?[0-9a-fA-F]+$/.test(blob) ? decodeHex(blob, run.start) : decodeBase64(blob, run.start));
  }
  if (text.includes('\\x')) for (const match of text.matchAll(ESCAPED_HEX)) add(decodeHex(match[0], match.index));
  add(decodeEscapes(text, URL_ESCAPE, 'url', decodeUrl));
  add(decodeEscapes(text, HTML_ENTITY, 'html', decodeHtml));
  return segments;
}

/** 1 for the characters of base64, base64url and hex: A–Z a–z 0–9 + / _ -. */
const RUN_ALPHABET = (() => {
  const table = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') table[c.charCodeAt(0)] = 1;
  return table;
})();

/**
 * Maximal runs of base64/base64url/hex characters of at least MIN_RUN (padding included), reading only a fraction
 * of the text. (A regex like `[A-Za-z0-9+/]{16,}` restarts at every letter of every shorter word: quadratic in
 * word length, slow on prose.) A run that counts has at least MIN_RUN - 2 alphabet characters (2 may be `=`
 * padding), so it covers one of every MIN_RUN - 2 positions: only those are looked at, and a run is followed both
 * ways from one. The same runs as reading every character (decode.test.ts checks both).
 */
export function encodedRuns(text: string): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  const n = text.length;
  const step = MIN_RUN - 2;
  // Every run starts at or after `from` (the character there, if any, is not in a run).
  let from = 0;
  for (let p = step - 1; p < n; p += step) {
    if (!inRunAlphabet(text.charCodeAt(p))) continue;
    let start = p;
    while (start > from && inRunAlphabet(text.charCodeAt(start - 1))) start--;
    let i = p + 1;
    while (i < n && inRunAlphabet(text.charCodeAt(i))) i++;
    // `=` is padding: it ends a run (`key=value` is two runs, `abc==` one).
    let end = i;
    while (end < n && text.charCodeAt(end) === 61 && end - i < 2) end++;
    if (end - start >= MIN_RUN) runs.push({ start, end });
    from = i;
    // The next run starts after `i`; the positions checked from there on are i + step - 1, i + 2·step - 1, …
    p = i - 1;
  }
  return runs;
}

function inRunAlphabet(c: number): boolean {
  return c < 128 && RUN_ALPHABET[c] === 1;
}

function decodeBase64(blob: string, start: number): DecodedSegment | undefined {
  // Most runs are paths and words, refused by the cheap checks below: skip the regexes when nothing needs trimming.
  const first = blob.charCodeAt(0);
  const trimmed =
    first === 61 || first === 45 || blob.endsWith('=') ? blob.replace(/^[=-]+/, '').replace(/=+$/, '') : blob;
  if (
    trimmed.includes('=') ||
    trimmed.length < MIN_RUN ||
    trimmed.length % 4 === 1 ||
    blob.length > DECODE_LIMITS.segmentChars
  )
    return undefined;
  // A run of letters only (a long word, an identifier in camelCase) is not base64 worth reading.
  if (!looksLikeEncodedText(trimmed)) return undefined;
  if (!/[0-9+/_-]/.test(trimmed) && !/[A-Z].*[a-z].*[A-Z]/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const decoded = readable(bytes);
  return decoded === undefined ? undefined : { start, end: start + blob.length, encoding: 'base64', text: decoded };
}

/**
 * Cheap test before decoding: in base64 of text, the first character of each 4-character group carries the top six
 * bits of a byte, which for ASCII is below 32 (A–Z, a–f). Random keys and hashes fail this within a few groups.
 */
function looksLikeEncodedText(blob: string): boolean {
  let textLike = 0;
  let groups = 0;
  for (let i = 0; i < blob.length; i += 4) {
    const c = blob.charCodeAt(i);
    groups++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 102)) textLike++;
  }
  return textLike >= groups * 0.8;
}

function decodeHex(blob: string, start: number): DecodedSegment | undefined {
  if (blob.length > DECODE_LIMITS.segmentChars) return undefined;
  const digits = blob.startsWith('\\x') ? blob.replace(/\\x/g, '') : blob.replace(/^0x/, '');
  if (digits.length < MIN_RUN / 2) return undefined;
  if (digits.length % 2 !== 0) return undefined;
  const decoded = readable(Buffer.from(digits, 'hex'));
  return decoded === undefined ? undefined : { start, end: start + blob.length, encoding: 'hex', text: decoded };
}

function decodeEscapes(
  text: string,
  pattern: RegExp,
  encoding: 'url' | 'html',
  decode: (text: string) => string,
): DecodedSegment | undefined {
  // A string longer than a segment is not decoded whole: decided before reading it, not after.
  if (text.length > DECODE_LIMITS.segmentChars || !text.includes(encoding === 'url' ? '%' : '&')) return undefined;
  let first = -1;
  let last = -1;
  for (const match of text.matchAll(pattern)) {
    if (first < 0) first = match.index;
    last = match.index + match[0].length;
  }
  if (first < 0) return undefined;
  const decoded = decode(text);
  if (decoded === text) return undefined;
  return { start: first, end: last, encoding, text: decoded };
}

function decodeUrl(text: string): string {
  // Decode byte runs as UTF-8 where they form it; a stray `%zz` or broken sequence stays as written.
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function decodeHtml(text: string): string {
  return text.replace(HTML_ENTITY, (entity) => {
    const body = entity.slice(1, -1);
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

/** The bytes as text when they are valid UTF-8 and nearly all printable; otherwise undefined. */
function readable(bytes: Buffer): string | undefined {
  if (bytes.length < 6) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let printable = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 9 || code === 10 || code === 13 || (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)))
      printable++;
  }
  return printable / [...text].length >= 0.95 ? text : undefined;
}
