import { describe, expect, it } from 'vitest';
import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes nested objects and arrays and returns the same value', () => {
    const value = { a: { b: [1, { c: 2 }] } };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(() => {
      (value.a.b as unknown[]).push(3);
    }).toThrow(TypeError);
  });

  it('handles shared and cyclic references', () => {
    const shared = { x: 1 };
    const cyclic: { self?: unknown; shared: object; again: object } = { shared, again: shared };
    cyclic.self = cyclic;
    deepFreeze(cyclic);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.isFrozen(cyclic)).toBe(true);
  });

  it.each([null, undefined, 1, 'text'])('passes %j through', (value) => {
    expect(deepFreeze(value)).toBe(value);
  });
});
