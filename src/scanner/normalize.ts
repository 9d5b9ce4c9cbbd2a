/**
 * Normalization before matching (DESIGN.md §4 `normalize`): NFKC and removal of invisible characters, with a map
 * from every position of the normalized text back to the original, so findings carry UTF-16 offsets into the text
 * as received. Case folding is not done here: rules that fold case match case-insensitively instead, which keeps
 * offsets exact. Pure ASCII (almost all traffic) is its own normal form and costs one test.
 */

/** A normalized view of one string. `map[i]` is the original offset of normalized offset i (length + 1 entries). */
export interface NormalizedView {
  readonly text: string;
  readonly map: Int32Array | undefined;
}

export interface NormalizeOptions {
  readonly nfkc: boolean;
  readonly stripInvisible: boolean;
}

// Zero-width, bidi controls, invisible operators, variation selectors, tag characters, and fillers that render as
// nothing. Kept as one character class so the unicode-attack rules and stripping agree on what "invisible" means.
export const INVISIBLE_CLASS =
  '\\x{AD}\\x{34F}\\x{61C}\\x{115F}\\x{1160}\\x{17B4}\\x{17B5}\\x{180B}-\\x{180F}\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}' +
  '\\x{2060}-\\x{2064}\\x{2066}-\\x{206F}\\x{3164}\\x{FE00}-\\x{FE0F}\\x{FEFF}\\x{FFA0}\\x{E0000}-\\x{E007F}\\x{E0100}-\\x{E01EF}';

const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS.replace(/\\x\{([0-9A-F]+)\}/g, '\\u{$1}')}]`, 'u');
// eslint-disable-next-line no-control-regex -- "every character is ASCII" is a range that starts at NUL
const ALL_ASCII = /^[\x00-\x7F]*$/;
const COMBINING = /^\p{M}$/u;

/** Whether a code point is one of the invisible characters (see INVISIBLE_CLASS). */
export function isInvisible(char: string): boolean {
  return INVISIBLE.test(char);
}

/**
 * What the views of one string share: whether it is ASCII, holds invisible characters, is its own NFKC. Each is
 * a pass over the string, asked once however many views are built.
 */
export interface TextFacts {
  ascii?: boolean;
  invisible?: boolean;
  nfkcSame?: boolean;
}

/** Builds the normalized view of `text` (`facts`: shared with the string's other views). */
export function normalizeText(text: string, options: NormalizeOptions, facts: TextFacts = {}): NormalizedView {
  if (!options.nfkc && !options.stripInvisible) return { text, map: undefined };
  if ((facts.ascii ??= ALL_ASCII.test(text))) return { text, map: undefined };
  // Most non-ASCII text (any script, written normally) is already in normal form: two native passes prove it.
  const noInvisible = (): boolean => !(facts.invisible ??= INVISIBLE.test(text));
  const nfkcSame = (): boolean => (facts.nfkcSame ??= text.normalize('NFKC') === text);
  if ((!options.stripInvisible || noInvisible()) && (!options.nfkc || nfkcSame())) {
    return { text, map: undefined };
  }
  const out: string[] = [];
  const map: number[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    const first = text.codePointAt(i) ?? 0;
    i += first > 0xffff ? 2 : 1;
    if (first < 0x80) {
      // A base letter may carry combining marks that NFKC composes with it: take them as one cluster.
      if (!options.nfkc || i >= text.length || text.charCodeAt(i) < 0x80) {
        out.push(text[start] as string);
        map.push(start);
        continue;
      }
    }
    while (options.nfkc && i < text.length) {
      const next = text.codePointAt(i) ?? 0;
      const width = next > 0xffff ? 2 : 1;
      if (!COMBINING.test(text.slice(i, i + width))) break;
      i += width;
    }
    let cluster = text.slice(start, i);
    if (options.stripInvisible) cluster = stripInvisible(cluster);
    if (options.nfkc) cluster = nfkcOf(cluster);
    for (let k = 0; k < cluster.length; k++) {
      out.push(cluster[k] as string);
      map.push(start);
    }
  }
  map.push(text.length);
  return { text: out.join(''), map: Int32Array.from(map) };
}

/** The original offset of a normalized offset. */
export function originalOffset(view: NormalizedView, offset: number): number {
  return view.map ? (view.map[offset] ?? view.map[view.map.length - 1] ?? offset) : offset;
}

/** The original end offset of a normalized end offset (exclusive): the end of the cluster the last char came from. */
export function originalEnd(view: NormalizedView, end: number, original: string): number {
  if (!view.map || end === 0) return end;
  const last = view.map[end - 1] ?? 0;
  const next = view.map[end] ?? original.length;
  return Math.max(next, last + 1);
}

function stripInvisible(cluster: string): string {
  let out = '';
  for (const char of cluster) if (!isInvisible(char)) out += char;
  return out;
}

// NFKC per cluster, cached: real text repeats a small alphabet, so most clusters are looked up, not normalized.
const NFKC_CACHE_MAX = 65_536;
const nfkcCache = new Map<string, string>();

function nfkcOf(cluster: string): string {
  let normalized = nfkcCache.get(cluster);
  if (normalized === undefined) {
    normalized = cluster.normalize('NFKC');
    if (nfkcCache.size >= NFKC_CACHE_MAX) nfkcCache.clear();
    nfkcCache.set(cluster, normalized);
  }
  return normalized;
}
