import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './list-cursor.js';

const known = new Set(['a', 'b']);

describe('list cursors', () => {
  it('round-trips pending pages', () => {
    const cursor = encodeCursor(new Map([['a', 'next-a'], ['b', '2']]));
    expect(cursor).toBeDefined();
    expect(decodeCursor(cursor as string, known)).toEqual(new Map([['a', 'next-a'], ['b', '2']]));
  });

  it('has no cursor when nothing is pending', () => {
    expect(encodeCursor(new Map())).toBeUndefined();
  });

  it.each([
    ['not ours', 'abc'],
    ['bad base64 json', 'pc1.!!!'],
    ['an array', `pc1.${Buffer.from('[1]').toString('base64url')}`],
    ['unknown backend', `pc1.${Buffer.from('{"evil":"x"}').toString('base64url')}`],
    ['non-string cursor', `pc1.${Buffer.from('{"a":1}').toString('base64url')}`],
    ['empty object', `pc1.${Buffer.from('{}').toString('base64url')}`],
    ['too long', `pc1.${'A'.repeat(9000)}`],
  ])('refuses %s', (_name, cursor) => {
    expect(decodeCursor(cursor, known)).toBeUndefined();
  });
});
