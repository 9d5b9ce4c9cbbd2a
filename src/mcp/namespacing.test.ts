import { describe, expect, it } from 'vitest';
import { createNamer, findSharedNames } from './namespacing.js';

const names = new Map([
  ['everything', ['echo', 'add', 'shared']],
  ['files', ['read_file', 'shared', 'has__double']],
]);

describe('createNamer', () => {
  it.each([
    ['always', 'everything', 'echo', 'everything__echo'],
    ['always', 'files', 'shared', 'files__shared'],
    ['on_conflict', 'everything', 'echo', 'echo'],
    ['on_conflict', 'files', 'shared', 'files__shared'],
    ['never', 'files', 'read_file', 'read_file'],
  ] as const)('%s: exposes %s/%s as %s', (mode, backend, name, exposed) => {
    expect(createNamer(mode, names).expose(backend, name)).toBe(exposed);
  });

  it.each([
    ['always', 'everything__echo', { backend: 'everything', name: 'echo' }],
    ['always', 'files__has__double', { backend: 'files', name: 'has__double' }],
    ['always', 'everything__unknown', undefined],
    ['always', 'nope__echo', undefined],
    ['always', 'echo', undefined],
    ['always', '__echo', undefined],
    ['always', 'everything__', undefined],
    ['on_conflict', 'echo', { backend: 'everything', name: 'echo' }],
    ['on_conflict', 'files__shared', { backend: 'files', name: 'shared' }],
    ['on_conflict', 'shared', undefined],
    ['on_conflict', 'everything__echo', undefined],
    ['on_conflict', 'missing', undefined],
    ['never', 'read_file', { backend: 'files', name: 'read_file' }],
    ['never', 'files__read_file', undefined],
  ] as const)('%s: resolves %s', (mode, exposed, expected) => {
    expect(createNamer(mode, names).resolve(exposed)).toEqual(expected);
  });

  it.each(['always', 'on_conflict', 'never'] as const)('%s: resolve(expose(x)) round-trips for every unshared name', (mode) => {
    const namer = createNamer(mode, mode === 'never' ? new Map([['a', ['x']], ['b', ['y']]]) : names);
    const source = mode === 'never' ? new Map([['a', ['x']], ['b', ['y']]]) : names;
    for (const [backend, list] of source) {
      for (const name of list) {
        if (mode !== 'always' && name === 'shared') continue;
        expect(namer.resolve(namer.expose(backend, name))).toEqual({ backend, name });
      }
    }
  });
});

it('lets a call reach a backend whose list is unknown (down), so it is answered backend_unavailable', () => {
  const namer = createNamer('always', new Map([['up', ['a']], ['down', undefined]]));
  expect(namer.resolve('down__anything')).toEqual({ backend: 'down', name: 'anything' });
  expect(namer.resolve('up__anything')).toBeUndefined();
});

describe('findSharedNames', () => {
  it('finds names two backends share, once each', () => {
    expect([...findSharedNames(names)]).toEqual(['shared']);
    expect(findSharedNames(new Map([['a', ['x', 'x']]])).size).toBe(0);
  });
});
