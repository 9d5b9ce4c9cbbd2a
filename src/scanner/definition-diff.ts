/** A line diff of two tool definitions, for the operator reviewing a changed tool (`portcullis pins list`). */

/** Longest definitions (in lines, pretty-printed) diffed line by line; larger ones are summarized. */
const MAX_LINES = 600;

/** `- old line` / `+ new line` for what changed between two JSON texts, unchanged lines left out. */
export function diffDefinitions(before: string, after: string): string {
  const a = pretty(before);
  const b = pretty(after);
  if (a.length > MAX_LINES || b.length > MAX_LINES) return `(definition of ${a.length} lines replaced by one of ${b.length} lines)`;
  // Classic LCS table; bounded by MAX_LINES² cells.
  const rows = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = rows[i] as Uint16Array;
      row[j] = a[i] === b[j] ? ((rows[i + 1] as Uint16Array)[j + 1] as number) + 1 : Math.max((rows[i + 1] as Uint16Array)[j] as number, row[j + 1] as number);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || ((rows[i + 1] as Uint16Array)[j] as number) >= ((rows[i] as Uint16Array)[j + 1] as number))) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out.join('\n');
}

function pretty(json: string): string[] {
  try {
    return JSON.stringify(JSON.parse(json), null, 2).split('\n');
  } catch {
    return json.split('\n');
  }
}
