/**
 * One pass over a string that reports where any of many short folded literals occur (Aho–Corasick over UTF-16 code
 * units, as a full transition table): the scanner's way to find every place a pattern's literal prefixes occur
 * without one indexOf pass per prefix, and which keywords occur. It reads the text folded (foldUnit: lower case, K
 * U+212A as k, ſ U+017F as s, every ASCII digit as 0) through its character classes, so the text is never copied.
 * Linear in the input whatever the literals.
 */

export interface PrefixAutomaton {
  /**
   * Calls `onHit(start, slot)` for each occurrence of a literal of `slot`, in order of the literal's end; `start` is
   * where the match it announces would begin (the literal's position less its offset; may be negative). A slot for
   * which `onHit` returns false is not reported again in this search.
   */
  search(text: string, onHit: (start: number, slot: number) => boolean): void;
}

interface Literal {
  readonly text: string;
  readonly slot: number;
  readonly offset: number;
}

/**
 * The folded form of one UTF-16 code unit, as the automaton reads text: its lower case (when that is one unit, or
 * the first of several: İ reads as i), ſ as s, every ASCII digit as 0. Only ever widens what a literal meets.
 */
export function foldUnit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return 0x30;
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  if (c === 0x17f) return 0x73;
  if (c >= 0xd800 && c <= 0xdfff) return c; // a surrogate half stands for itself
  return String.fromCharCode(c).toLowerCase().charCodeAt(0);
}

/** Builds the automaton for `literals` (folded, as literal prefixes and keywords are). */
export function createPrefixAutomaton(literals: readonly Literal[]): PrefixAutomaton {
  // Character classes: every folded unit a literal uses gets its own class; every unit that folds to it shares it;
  // everything else is class 0.
  // Literals of one non-ASCII unit (homoglyph and invisible-character keywords) are looked up per unit beside the
  // trie: as classes of their own they would widen its whole table, for every string.
  const unitLists: number[][] = [];
  const unitIndex = new Int32Array(65536).fill(-1);
  const trieLiterals = literals.filter((literal) => {
    const c = literal.text.charCodeAt(0);
    if (literal.text.length !== 1 || c < 0x80 || literal.offset !== 0) return true;
    if (foldUnit(c) !== c) throw new RangeError(`literal ${JSON.stringify(literal.text)} is not folded`);
    unitLists.push([literal.slot]);
    return false;
  });
  if (unitLists.length > 0) {
    const listOfFolded = new Map<number, number[]>();
    for (const literal of literals) {
      const c = literal.text.charCodeAt(0);
      if (literal.text.length === 1 && c >= 0x80 && literal.offset === 0)
        listOfFolded.set(c, [...(listOfFolded.get(c) ?? []), literal.slot]);
    }
    unitLists.length = 0;
    const indexOfFolded = new Map<number, number>();
    for (const [c, slots] of listOfFolded) {
      indexOfFolded.set(c, unitLists.length);
      unitLists.push(slots);
    }
    for (let c = 0x80; c < 65536; c++) unitIndex[c] = indexOfFolded.get(foldUnit(c)) ?? -1;
  }
  const classOfFolded = new Map<number, number>();
  for (const { text } of trieLiterals) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (foldUnit(c) !== c) throw new RangeError(`literal ${JSON.stringify(text)} is not folded`);
      if (!classOfFolded.has(c)) classOfFolded.set(c, classOfFolded.size + 1);
    }
  }
  const classes = classOfFolded.size + 1;
  const classOf = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) classOf[c] = classOfFolded.get(foldUnit(c)) ?? 0;
  // The trie.
  const children: Map<number, number>[] = [new Map()];
  const outputs: { slot: number; length: number }[][] = [[]];
  for (const { text, slot, offset } of trieLiterals) {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const cls = classOf[text.charCodeAt(i)] as number;
      let child = (children[state] as Map<number, number>).get(cls);
      if (child === undefined) {
        child = children.length;
        children.push(new Map());
        outputs.push([]);
        (children[state] as Map<number, number>).set(cls, child);
      }
      state = child;
    }
    // "length" is how far back from the literal's last character the match starts.
    (outputs[state] as { slot: number; length: number }[]).push({ slot, length: text.length + offset });
  }
  // Breadth-first: failure links folded into a full transition table, outputs merged along them.
  const states = children.length;
  // Row-major, one row per state; 16 bits a cell while that is enough, so more of the table stays in cache.
  const delta = states < 0x10000 ? new Uint16Array(states * classes) : new Int32Array(states * classes);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let cls = 1; cls < classes; cls++) {
    const child = (children[0] as Map<number, number>).get(cls);
    if (child !== undefined) {
      delta[cls] = child;
      queue.push(child);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const merged = outputs[fail[state] as number] as { slot: number; length: number }[];
    if (merged.length > 0) outputs[state] = [...(outputs[state] as { slot: number; length: number }[]), ...merged];
    for (let cls = 0; cls < classes; cls++) {
      const child = (children[state] as Map<number, number>).get(cls);
      const viaFail = delta[(fail[state] as number) * classes + cls] as number;
      if (child === undefined) {
        delta[state * classes + cls] = viaFail;
      } else {
        delta[state * classes + cls] = child;
        fail[child] = viaFail;
        queue.push(child);
      }
    }
  }
  // Outputs flattened, so the loop below reads typed arrays only: state → [first, first + count) of slot/back.
  const outFirst = new Int32Array(states + 1);
  for (let st = 0; st < states; st++) outFirst[st + 1] = (outFirst[st] as number) + (outputs[st] as unknown[]).length;
  const outSlot = new Int32Array(outFirst[states] as number);
  const outBack = new Int32Array(outFirst[states] as number);
  outputs.forEach((list, st) => {
    list.forEach(({ slot, length }, k) => {
      outSlot[(outFirst[st] as number) + k] = slot;
      outBack[(outFirst[st] as number) + k] = length - 1;
    });
  });
  const hasOutput = Uint8Array.from(outputs, (o) => (o.length > 0 ? 1 : 0));
  const slotCount = literals.reduce((most, { slot }) => Math.max(most, slot + 1), 0);
  return {
    search(text, onHit) {
      const muted = new Uint8Array(slotCount);
      // States with a slot still listening; one whose every slot is muted drops out for the rest of this search.
      const live = hasOutput.slice();
      const n = text.length;
      let state = 0;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80 && unitIndex[c] !== -1) {
          for (const slot of unitLists[unitIndex[c] as number] as number[]) {
            if (muted[slot] === 0 && !onHit(i, slot)) muted[slot] = 1;
          }
        }
        state = delta[state * classes + (classOf[c] as number)] as number;
        if (live[state] === 0) continue;
        let anyLive = false;
        const last = outFirst[state + 1] as number;
        for (let k = outFirst[state] as number; k < last; k++) {
          const slot = outSlot[k] as number;
          if (muted[slot] === 1) continue;
          if (onHit(i - (outBack[k] as number), slot)) anyLive = true;
          else muted[slot] = 1;
        }
        if (!anyLive) live[state] = 0;
      }
    },
  };
}
