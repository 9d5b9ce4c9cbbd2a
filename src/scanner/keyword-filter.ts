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
  /** The distinct characters (low bytes) and pairs of the string, in order of first appearance. */
  readonly singleList: readonly number[];
  readonly pairList: readonly number[];
}

/** The index key of a keyword: its first pair, or its one character (ORed with 0x10000 to tell them apart). */
export function keywordKey(keyword: string): number {
  const c0 = keyword.charCodeAt(0) & 0xff;
  return keyword.length === 1 ? 0x10000 | c0 : (c0 << 8) | (keyword.charCodeAt(1) & 0xff);
}

/** The keys keywordKey gives to the keywords that may occur in the indexed string (a superset). */
export function presentKeys(index: TextIndex): readonly number[] {
  return [...index.singleList.map((c) => 0x10000 | c), ...index.pairList];
}

/** Builds the index of a string (lower-cased, as keywords are compared case-insensitively). */
export function indexText(text: string): TextIndex {
  const lower = text.toLowerCase();
  const singles = new Uint8Array(32);
  const pairs = new Uint8Array(8192);
  const singleList: number[] = [];
  const pairList: number[] = [];
  let previous = -1;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i) & 0xff;
    const single = singles[c >> 3] as number;
    if ((single & (1 << (c & 7))) === 0) {
      singles[c >> 3] = single | (1 << (c & 7));
      singleList.push(c);
    }
    if (previous >= 0) {
      const pair = (previous << 8) | c;
      const bits = pairs[pair >> 3] as number;
      if ((bits & (1 << (pair & 7))) === 0) {
        pairs[pair >> 3] = bits | (1 << (pair & 7));
        pairList.push(pair);
      }
    }
    previous = c;
  }
  return { lower, singles, pairs, singleList, pairList };
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
