import { describe, expect, it } from 'vitest';
import { compileTemplate, createResourceRoutes, matchesTemplate } from './resource-routes.js';

describe('resource routes', () => {
  it('routes a listed URI to the backend that listed it', () => {
    const routes = createResourceRoutes();
    routes.learn('a', 'file:///x');
    routes.learn('b', 'test://y');
    expect(routes.resolve('file:///x')).toBe('a');
    expect(routes.resolve('test://y')).toBe('b');
    expect(routes.resolve('test://z')).toBeUndefined();
  });

  it('matches URI templates', () => {
    const routes = createResourceRoutes();
    routes.learnTemplate('ev', 'demo://resource/dynamic/text/{resourceId}');
    expect(routes.resolve('demo://resource/dynamic/text/42')).toBe('ev');
    expect(routes.resolve('demo://resource/dynamic/text/42/more')).toBeUndefined();
  });

  it('forgets a backend', () => {
    const routes = createResourceRoutes();
    routes.learn('a', 'u://1');
    routes.learnTemplate('a', 'u://{x}');
    routes.forget('a');
    expect(routes.resolve('u://1')).toBeUndefined();
  });

  it('is bounded: the oldest route is forgotten first', () => {
    const routes = createResourceRoutes(2);
    routes.learn('a', 'u://1');
    routes.learn('a', 'u://2');
    routes.learn('a', 'u://3');
    expect(routes.resolve('u://1')).toBeUndefined();
    expect(routes.resolve('u://3')).toBe('a');
  });
});

describe('URI template matching', () => {
  it.each([
    ['file:///{path}', 'file:///a.txt', true],
    ['file:///{path}', 'file:///a/b.txt', false],
    ['file:///{+path}', 'file:///a/b.txt', true],
    ['users://{id}/profile', 'users://7/profile', true],
    ['search{?q,lang}', 'search?q=x&lang=en', true],
    ['a.b/{x}', 'aXb/1', false],
  ])('%s vs %s', (template, uri, matches) => {
    expect(matchesTemplate(compileTemplate(template) ?? [], uri)).toBe(matches);
  });

  it('refuses unterminated and oversized templates', () => {
    expect(compileTemplate('x://{oops')).toBeUndefined();
    expect(compileTemplate(`x://${'a'.repeat(2000)}`)).toBeUndefined();
  });

  it.each([
    ['adjacent wildcards', '{a}{b}{c}{d}{e}{f}{g}x', 'a'.repeat(8000)],
    ['repeated literal separators', '{a}x{b}x{c}x{d}x{e}x{f}y', 'x'.repeat(8000)],
  ])('stays linear on hostile input: %s', (_name, template, uri) => {
    const tokens = compileTemplate(template) ?? [];
    const started = performance.now();
    expect(matchesTemplate(tokens, uri)).toBe(false);
    // A backtracking regex takes minutes here; the position-set matcher takes milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
