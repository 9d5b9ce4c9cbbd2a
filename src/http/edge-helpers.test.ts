import { describe, expect, it } from 'vitest';
import { createTokenCheck } from './bearer-auth.js';
import { createAddressResolver, createAddressedUrl } from './client-address.js';
import { isAllowedRequest } from './origin-check.js';
import { looksLikeJsonRpc } from './mcp-endpoint.js';
import { readBodyCapped, readIncomingCapped } from './read-body.js';

describe('isAllowedRequest (DNS rebinding)', () => {
  const policy = { allowedHosts: ['gw.internal', 'api.example:8443'], allowedOrigins: ['https://app.example'] };
  it.each([
    ['127.0.0.1:8080', undefined, true],
    ['localhost:8080', undefined, true],
    ['[::1]:8080', undefined, true],
    ['LOCALHOST', undefined, true],
    ['evil.example', undefined, false],
    ['evil.example:8080', undefined, false],
    ['localhost.evil.example', undefined, false],
    ['gw.internal:9999', undefined, true],
    ['api.example:8443', undefined, true],
    ['api.example:80', undefined, false],
    [undefined, undefined, false],
    ['127.0.0.1:8080', 'http://localhost:6274', true],
    ['127.0.0.1:8080', 'https://app.example', true],
    ['127.0.0.1:8080', 'http://evil.example', false],
    ['127.0.0.1:8080', 'null', false],
    ['127.0.0.1:8080', 'file://localhost', false],
  ])('host %s origin %s → %s', (host, origin, allowed) => {
    expect(isAllowedRequest(policy, host, origin)).toBe(allowed);
  });
});

describe('createAddressResolver', () => {
  it('uses the socket address when no proxy is trusted, whatever the header says', () => {
    expect(createAddressResolver([])('10.0.0.5', '1.2.3.4')).toBe('10.0.0.5');
  });
  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(createAddressResolver(['10.0.0.1'])('10.0.0.5', '1.2.3.4')).toBe('10.0.0.5');
  });
  it('takes the last untrusted hop behind a trusted proxy', () => {
    const resolve = createAddressResolver(['10.0.0.0/8']);
    expect(resolve('10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2')).toBe('1.2.3.4');
  });
  it('strips the IPv4-mapped IPv6 prefix', () => {
    expect(createAddressResolver([])('::ffff:127.0.0.1', null)).toBe('127.0.0.1');
  });
  it('ignores garbage hops', () => {
    expect(createAddressResolver(['10.0.0.1'])('10.0.0.1', 'not-an-ip, <script>')).toBe('10.0.0.1');
  });
});

describe('createTokenCheck', () => {
  const check = createTokenCheck({ alice: 'a'.repeat(20), bob: 'b'.repeat(24) });
  it.each([
    [`Bearer ${'a'.repeat(20)}`, 'alice'],
    [`bearer ${'b'.repeat(24)}`, 'bob'],
    [`Bearer ${'a'.repeat(19)}`, undefined],
    [`Basic ${'a'.repeat(20)}`, undefined],
    ['Bearer', undefined],
    [undefined, undefined],
  ])('%s → %s', (header, reviewer) => {
    expect(check(header)).toBe(reviewer);
  });
});

describe('readBodyCapped', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    new Request('http://x/', { method: 'POST', body, headers });
  it('reads a body within the limit', async () => {
    expect(await readBodyCapped(post('hello'), 10)).toEqual({ ok: true, text: 'hello' });
  });
  it('refuses a declared length over the limit without reading', async () => {
    expect(await readBodyCapped(post('x', { 'content-length': '999' }), 10)).toEqual({ ok: false });
  });
  it('refuses a streamed body that grows over the limit', async () => {
    expect(await readBodyCapped(post('x'.repeat(11)), 10)).toEqual({ ok: false });
  });
  it('counts bytes, not characters', async () => {
    expect(await readBodyCapped(post('é'.repeat(6)), 10)).toEqual({ ok: false });
  });
});

describe('looksLikeJsonRpc', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, true],
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, true],
    [{ jsonrpc: '2.0', id: 'a', method: 'x', params: {} }, true],
    [{ jsonrpc: '2.0', id: 1, result: {} }, true],
    [{ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } }, true],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, false],
    [{ id: 1, method: 'ping' }, false],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, false],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: null }, false],
    [{ jsonrpc: '2.0', id: {}, method: 'x' }, false],
    [{ jsonrpc: '2.0', id: 1 }, false],
    [{ jsonrpc: '2.0', result: {} }, false],
    [{ jsonrpc: '2.0', method: 42 }, false],
    ['text', false],
    [null, false],
    [[{ jsonrpc: '2.0', method: 'x' }], false],
  ])('%j → %s', (value, expected) => {
    expect(looksLikeJsonRpc(value)).toBe(expected);
  });
});

describe('readIncomingCapped', () => {
  const incoming = (chunks: string[], headers: Record<string, string> = {}) => {
    let destroyed = false;
    return {
      headers,
      destroy: () => void (destroyed = true),
      get destroyed() {
        return destroyed;
      },
      async *[Symbol.asyncIterator]() {
        for (const chunk of chunks) yield Buffer.from(chunk);
      },
    };
  };
  it('reads chunks within the limit', async () => {
    expect(await readIncomingCapped(incoming(['ab', 'c']), 10)).toEqual({ ok: true, text: 'abc' });
  });
  it('refuses a declared length over the limit before reading', async () => {
    expect(await readIncomingCapped(incoming(['x'], { 'content-length': '11' }), 10)).toEqual({ ok: false });
  });
  it('refuses a body that grows past the limit', async () => {
    expect(await readIncomingCapped(incoming(['12345', '678901']), 10)).toEqual({ ok: false });
  });
});

describe('createAddressedUrl (what a signature’s @authority covers)', () => {
  const addressed = createAddressedUrl(['10.0.0.0/8']);
  it.each([
    ['a trusted proxy with X-Forwarded-Host', '10.0.0.1', 'gw.example.com', 'http://gw.example.com/mcp?x=1'],
    ['a trusted proxy with several hosts: the first', '10.0.0.1', 'gw.example.com:8443, inner', 'http://gw.example.com:8443/mcp?x=1'],
    ['an untrusted peer: the header is ignored', '192.168.1.5', 'gw.example.com', 'http://127.0.0.1:8080/mcp?x=1'],
    ['no header', '10.0.0.1', null, 'http://127.0.0.1:8080/mcp?x=1'],
    ['a malformed host', '10.0.0.1', 'evil/../x', 'http://127.0.0.1:8080/mcp?x=1'],
  ])('%s', (_name, peer, forwardedHost, expected) => {
    expect(addressed(peer, 'http://127.0.0.1:8080/mcp?x=1', forwardedHost)).toBe(expected);
  });
  it('ignores the header when no proxy is trusted', () => {
    expect(createAddressedUrl([])('10.0.0.1', 'http://127.0.0.1:8080/mcp', 'gw.example.com')).toBe('http://127.0.0.1:8080/mcp');
  });
});
