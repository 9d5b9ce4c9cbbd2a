import { describe, expect, it } from 'vitest';
import { isCanonicalUri, nonCanonicalReason } from './canonical-uri.js';

describe('nonCanonicalReason', () => {
  it.each([
    'file:///srv/shared/report.txt',
    'file:///srv/shared/',
    'file:///srv/shared/.env',
    'file:///srv/shared/..hidden',
    'test://static/resource/1',
    'https://example.com/a/b?x=1&y=2#frag',
    'https://user:Pass@example.com/a',
    'urn:isbn:0451450523',
    'mailto:someone@example.com',
    'file:///srv/a%20b/%E2%9C%93.txt',
    'everything://resource/%3A',
  ])('accepts %s', (uri) => {
    expect(nonCanonicalReason(uri)).toBeUndefined();
    expect(isCanonicalUri(uri)).toBe(true);
  });

  it.each([
    ['file:///srv/shared/../secret/key', 'dot segment'],
    ['file:///srv/shared/./key', 'dot segment'],
    ['file:///srv/shared/..', 'dot segment'],
    ['test://static/../x', 'dot segment'],
    ['note:a/../b', 'dot segment'],
    ['https://example.com/a?path=../../etc/passwd', 'dot segment'],
    ['file:///srv//secret/key', 'empty path segment'],
    ['file:////srv/secret', 'empty path segment'],
    ['file:///srv/%2e%2e/secret', 'lower-case percent-encoding'],
    ['file:///srv/%2E%2E/secret', 'percent-encoded unreserved character %2E'],
    ['file:///srv/%73ecret', 'percent-encoded unreserved character %73'],
    ['file:///srv/shared%2F..%2Fsecret', 'percent-encoded separator %2F'],
    ['file:///srv/a%5Cb', 'percent-encoded separator %5C'],
    ['file:///srv/a%252F', 'percent-encoded separator %25'],
    ['file:///srv/a%00.txt', 'percent-encoded separator %00'],
    ['file:///srv/a%G1', 'malformed percent-encoding'],
    ['file:///srv/a%4', 'malformed percent-encoding'],
    ['FILE:///srv/secret', 'upper-case scheme'],
    ['https://EXAMPLE.com/a', 'upper-case host'],
    ['file://localhost/srv/secret', 'file://localhost (same as file:///)'],
    ['file:///srv\\secret', 'backslash'],
    ['file:///srv/secret\n', 'control character'],
    ['/srv/secret', 'no scheme'],
    ['', 'no scheme'],
  ])('refuses %j: %s', (uri, reason) => {
    expect(nonCanonicalReason(uri)).toBe(reason);
    expect(isCanonicalUri(uri)).toBe(false);
  });
});
