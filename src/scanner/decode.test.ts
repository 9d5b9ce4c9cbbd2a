import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { encodedRuns } from './decode.js';

/** Every character read: the maximal runs of the alphabet, with up to two `=` of padding, of 16 or more. */
function referenceRuns(text: string): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/_-]+={0,2}/g)) {
    if (match[0].length >= 16) runs.push({ start: match.index, end: match.index + match[0].length });
  }
  return runs;
}

describe('encodedRuns', () => {
  it.each([
    ['a run of exactly 16', 'x QUJDREVGR0hJSktMTU5P y'],
    ['14 characters and two of padding', 'a QUJDREVGR0hJSk== b'],
    ['13 characters and padding: too short', 'a QUJDREVGR0hJS== b'],
    ['runs at both ends', 'QUJDREVGR0hJSktMTU5P QUJDREVGR0hJSktMTU5P'],
    ['a key=value pair is two runs', 'secret_token_value_one=secret_token_value_two'],
    ['padding ends a run', 'QUJDREVGR0hJSktMTU5P==QUJDREVGR0hJSktMTU5P'],
  ])('%s', (_, text) => {
    expect(encodedRuns(text)).toEqual(referenceRuns(text));
  });

  it('finds the same runs as reading every character, on random text', () => {
    const pieces = ['a', 'Z', '0', '+', '/', '_', '-', '=', '==', ' ', '.', 'é', 'QUJDREVGR0hJSk', 'abcdefgh', '\n'];
    for (let seed = 1; seed <= 300; seed++) {
      const next = seededRandom(seed);
      let text = '';
      while (text.length < 50 + next() * 400) text += pieces[Math.floor(next() * pieces.length)];
      expect(encodedRuns(text), `seed ${seed}`).toEqual(referenceRuns(text));
    }
  });
});
