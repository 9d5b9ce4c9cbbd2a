import { describe, expect, it } from 'vitest';
import {
  type PolicyTarget,
  type TargetGlob,
  compileTargetGlob,
  compileTargetGlobs,
  findMatch,
  type GlobProblem,
} from './target-glob.js';

function compile(source: string): TargetGlob {
  const glob = compileTargetGlob(source, 'test');
  if ('error' in glob) throw new Error(glob.error);
  return glob;
}

const tool = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'tool', name });
const prompt = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'prompt', name });
const resource = (backend: string, name: string): PolicyTarget => ({ backend, kind: 'resource', name });

describe('target globs', () => {
  it.each([
    // Bare globs are tools; `*` stays within one segment.
    ['everything/*', tool('everything', 'echo'), true],
    ['everything/*', tool('other', 'echo'), false],
    ['everything/*', prompt('everything', 'simple'), false],
    ['everything/*', resource('everything', 'test://static/resource/1'), false],
    ['files/read_*', tool('files', 'read_file'), true],
    ['files/read_*', tool('files', 'Read_file'), false],
    ['files/read_*', tool('files', 'write_file'), false],
    ['*/read_*', tool('any-backend', 'read_x'), true],
    ['files/{read,list}_*', tool('files', 'list_directory'), true],
    ['files/[^d]*', tool('files', 'delete_file'), false],
    ['files/[^d]*', tool('files', 'read_file'), true],
    ['files/.hidden', tool('files', '.hidden'), true],
    ['**', tool('files', 'anything'), true],
    ['**', resource('files', 'file:///x'), false],
    // prompt: and resource: select their kind.
    ['prompt:everything/*', prompt('everything', 'complex_prompt'), true],
    ['prompt:everything/*', tool('everything', 'complex_prompt'), false],
    ['resource:files/file:///srv/shared/**', resource('files', 'file:///srv/shared/a/b.txt'), true],
    ['resource:files/file:///srv/shared/**', resource('files', 'file:///srv/shared'), true],
    ['resource:files/file:///srv/shared/**', resource('files', 'file:///srv/shared/.env'), true],
    ['resource:files/file:///srv/shared/**', resource('files', 'file:///srv/sharedX/a'), false],
    ['resource:files/file:///srv/shared/**', tool('files', 'file:///srv/shared/a'), false],
    // `*` does not cross the "/" of a URI; `**` does.
    ['resource:everything/*', resource('everything', 'test://static/resource/1'), false],
    ['resource:everything/**', resource('everything', 'test://static/resource/1'), true],
    ['resource:everything/test://static/resource/*', resource('everything', 'test://static/resource/17'), true],
    ['resource:files/file:///srv/*/report.txt', resource('files', 'file:///srv/a/b/report.txt'), false],
    // `\` is an ordinary character of the name, never a separator.
    ['everything/*', tool('everything', 'a\\b'), true],
  ] as const)('%s vs %j → %s', (source, target, expected) => {
    expect(findMatch([compile(source)], target, 'permit') !== undefined).toBe(expected);
    expect(findMatch([compile(source)], target, 'restrict') !== undefined).toBe(expected);
  });

  it.each([
    'file:///srv/shared/../secret/key',
    'file:///srv//secret/key',
    'file:///srv/%73ecret/key',
    'FILE:///srv/secret/key',
  ])('a non-canonical URI %s matches no permit glob and every restrict glob of its kind', (uri) => {
    const globs = [compile('files/*'), compile('resource:files/file:///elsewhere/**'), compile('resource:files/**')];
    expect(findMatch(globs, resource('files', uri), 'permit')).toBeUndefined();
    expect(findMatch(globs, resource('files', uri), 'restrict')).toMatchObject({
      glob: { source: 'resource:files/file:///elsewhere/**' },
      nonCanonical: expect.any(String),
    });
  });

  it('reports the first matching glob, with its rule path', () => {
    const problems: GlobProblem[] = [];
    const globs = compileTargetGlobs(['files/write_*', 'files/*'], ['agents', 'bob', 'deny'], problems);
    expect(problems).toEqual([]);
    expect(findMatch(globs, tool('files', 'read_file'), 'restrict')?.glob.rule).toBe('agents.bob.deny[1]');
    expect(findMatch(globs, tool('files', 'write_file'), 'restrict')?.glob.rule).toBe('agents.bob.deny[0]');
  });

  it.each([
    ['files/[', /not a valid glob/],
    ['files/read_(x', /not a valid glob/],
    ['files/{a,b', /not a valid glob/],
    ['!files/delete_*', /leading "!"/],
    ['files/[!d]*', /\[\^…\]/],
    ['read_file', /<backend>\/<name>/],
    ['prompt:', /empty glob/],
    ['tools:files/x', /unknown prefix/],
    ['resources:files/file:///x', /unknown prefix/],
  ])('refuses %s', (source, message) => {
    const problems: GlobProblem[] = [];
    const globs = compileTargetGlobs(['files/ok', source], ['agents', 'bob', 'allow'], problems);
    expect(globs).toHaveLength(1);
    expect(problems).toEqual([{ path: ['agents', 'bob', 'allow', 1], message: expect.stringMatching(message) }]);
  });
});
