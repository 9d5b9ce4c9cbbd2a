/**
 * The keyword prefilter: which of a group's keywords occur in a string. One pass over the string records which
 * character pairs (and single characters) it holds, as bitmaps; a keyword can only occur if all its pairs do, and
 * only those keywords are then confirmed with indexOf. (A regex alternation of a few hundred literals is tried
 * alternative by alternative at every position: tens of times slower on large inputs.) Bitmaps fold characters to
 * their low byte, so they over-approximate and never miss a keyword.
 */

export interface TextIndex {
  readonly lower: string;
  readonly singles: Uint8Array;
  readonly pairs: Uint8Array;
}

/** Builds the index of a string (lower-cased, as keywords are compared case-insensitively). */
export function indexText(text: string): TextIndex {
  const lower = text.toLowerCase();
  const singles = new Uint8Array(32);
  const pairs = new Uint8Array(8192);
  let previous = -1;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i) & 0xff;
    singles[c >> 3] = (singles[c >> 3] as number) | (1 << (c & 7));
    if (previous >= 0) {
      const pair = (previous << 8) | c;
      pairs[pair >> 3] = (pairs[pair >> 3] as number) | (1 << (pair & 7));
    }
    previous = c;
  }
  return { lower, singles, pairs };
}

/** Whether `keyword` (lower-case) occurs in the indexed string. */
export function containsKeyword(index: TextIndex, keyword: string): boolean {
  if (keyword.length === 1) {
    const c = keyword.charCodeAt(0) & 0xff;
    if (((index.singles[c >> 3] as number) & (1 << (c & 7))) === 0) return false;
  }
  for (let i = 1; i < keyword.length; i++) {
    const pair = ((keyword.charCodeAt(i - 1) & 0xff) << 8) | (keyword.charCodeAt(i) & 0xff);
    if (((index.pairs[pair >> 3] as number) & (1 << (pair & 7))) === 0) return false;
  }
  return index.lower.includes(keyword);
}
