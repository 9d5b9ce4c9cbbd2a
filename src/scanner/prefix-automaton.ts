/**
 * One pass over a folded string that reports where any of many short literals occur (Aho–Corasick over UTF-16 code
 * units, as a full transition table): the scanner's way to find every place a pattern's literal prefixes occur
 * without one indexOf pass per prefix. Linear in the input whatever the literals.
 */

export interface PrefixAutomaton {
  /** Calls `onHit(start, slot)` for each occurrence of a literal of `slot`, in order of the literal's end. */
  search(text: string, onHit: (start: number, slot: number) => void): void;
}

/**
 * Builds the automaton for `literals` (ASCII, as literal prefixes are): each entry a non-empty string and the slot its
 * hits are reported under.
 */
export function createPrefixAutomaton(
  literals: readonly { readonly text: string; readonly slot: number }[],
): PrefixAutomaton {
  // Character classes: every character used by a literal gets its own class; all others (non-ASCII too) share 0.
  const classOf = new Uint8Array(128);
  let classes = 1;
  for (const { text } of literals) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) throw new RangeError(`literal ${JSON.stringify(text)} is not ASCII`);
      if (classOf[c] === 0) classOf[c] = classes++;
    }
  }
  // The trie.
  const children: Map<number, number>[] = [new Map()];
  const outputs: { slot: number; length: number }[][] = [[]];
  for (const { text, slot } of literals) {
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
    (outputs[state] as { slot: number; length: number }[]).push({ slot, length: text.length });
  }
  // Breadth-first: failure links folded into a full transition table, outputs merged along them.
  const states = children.length;
  const delta = new Int32Array(states * classes);
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
  const hasOutput = Uint8Array.from(outputs, (o) => (o.length > 0 ? 1 : 0));
  return {
    search(text, onHit) {
      let state = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        state = delta[state * classes + (c < 128 ? (classOf[c] as number) : 0)] as number;
        if (hasOutput[state] === 1) {
          for (const { slot, length } of outputs[state] as { slot: number; length: number }[])
            onHit(i - length + 1, slot);
        }
      }
    },
  };
}
