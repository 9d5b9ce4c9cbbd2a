import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { describe, expect, it, vi } from 'vitest';
import type { JSONRPCMessage, JSONRPCRequest } from '../mcp/jsonrpc.js';
import { MAX_PENDING_PER_CHANNEL, openChannel } from './channel.js';
import { LostRequestError } from './http-transport.js';

/** An in-memory transport: records what the channel sends, lets the test play the backend. */
function fakeTransport() {
  const sent: JSONRPCMessage[] = [];
  const transport: Transport & { deliver(m: JSONRPCMessage): void } = {
    start: async () => undefined,
    send: async (message) => void sent.push(message),
    close: async () => transport.onclose?.(),
    deliver: (message) => transport.onmessage?.(message),
  };
  return { transport, sent };
}

const handlers = () => ({
  onServerRequest: vi.fn(async () => ({ result: { answered: true } })),
  onNotification: vi.fn(),
  onClose: vi.fn(),
});

describe('openChannel', () => {
  it('maps ids both ways: the backend sees its own ids, the caller gets the answer', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const pending = channel.request('tools/call', { name: 'x' }, { timeoutMs: 1000 });
    const request = sent[0] as JSONRPCRequest;
    transport.deliver({ jsonrpc: '2.0', id: request.id, result: { ok: 1 } });
    expect(await pending).toEqual({ kind: 'answer', answer: { result: { ok: 1 } } });
    expect(channel.pendingCount).toBe(0);
  });

  it('passes backend errors through unchanged', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const pending = channel.request('tools/call', {}, { timeoutMs: 1000 });
    transport.deliver({ jsonrpc: '2.0', id: (sent[0] as JSONRPCRequest).id, error: { code: -32602, message: 'bad', data: 1 } });
    expect(await pending).toEqual({ kind: 'answer', answer: { error: { code: -32602, message: 'bad', data: 1 } } });
  });

  it('rewrites progress tokens and restores them on the way back', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const onProgress = vi.fn();
    const pending = channel.request('tools/call', { _meta: { progressToken: 'client-token' } }, { timeoutMs: 1000, onProgress });
    const request = sent[0] as JSONRPCRequest & { params: { _meta: { progressToken: string } } };
    expect(request.params._meta.progressToken).not.toBe('client-token');
    transport.deliver({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: request.params._meta.progressToken, progress: 1 } });
    transport.deliver({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'someone-elses', progress: 9 } });
    expect(onProgress).toHaveBeenCalledTimes(1);
    expect(onProgress).toHaveBeenCalledWith({ progressToken: 'client-token', progress: 1 });
    transport.deliver({ jsonrpc: '2.0', id: request.id, result: {} });
    await pending;
  });

  it('times out as unavailable and tells the backend to cancel', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    expect(await channel.request('tools/call', {}, { timeoutMs: 20 })).toMatchObject({ kind: 'unavailable' });
    expect(sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: (sent[0] as JSONRPCRequest).id } });
    expect(channel.pendingCount).toBe(0);
  });

  it('cancels on abort', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const abort = new AbortController();
    const pending = channel.request('tools/call', {}, { timeoutMs: 1000, signal: abort.signal });
    abort.abort();
    expect(await pending).toEqual({ kind: 'cancelled' });
    expect(sent[1]).toMatchObject({ method: 'notifications/cancelled' });
  });

  it('settles everything as unavailable when the transport closes', async () => {
    const { transport } = fakeTransport();
    const h = handlers();
    const channel = await openChannel(transport, 't', h);
    const pending = [channel.request('a', {}, { timeoutMs: 1000 }), channel.request('b', {}, { timeoutMs: 1000 })];
    transport.onclose?.();
    expect(await Promise.all(pending)).toEqual([
      { kind: 'unavailable', detail: 't: connection lost' },
      { kind: 'unavailable', detail: 't: connection lost' },
    ]);
    expect(h.onClose).toHaveBeenCalled();
    expect(await channel.request('c', {}, { timeoutMs: 1000 })).toMatchObject({ kind: 'unavailable' });
  });

  it('settles a request whose stream was lost at once', async () => {
    const { transport, sent } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const pending = channel.request('tools/call', {}, { timeoutMs: 10_000 });
    transport.onerror?.(new LostRequestError((sent[0] as JSONRPCRequest).id as number, 'stream closed'));
    expect(await pending).toMatchObject({ kind: 'unavailable', detail: 't: stream closed' });
  });

  it('answers server requests through the handler, with the backend id', async () => {
    const { transport, sent } = fakeTransport();
    await openChannel(transport, 't', handlers());
    transport.deliver({ jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: {} });
    await vi.waitFor(() => expect(sent).toContainEqual({ jsonrpc: '2.0', id: 'srv-1', result: { answered: true } }));
  });

  it('answers a server request whose handler throws with an error, not silence', async () => {
    const { transport, sent } = fakeTransport();
    await openChannel(transport, 't', { ...handlers(), onServerRequest: async () => { throw new Error('x'); } });
    transport.deliver({ jsonrpc: '2.0', id: 7, method: 'elicitation/create', params: {} });
    await vi.waitFor(() => expect(sent[0]).toMatchObject({ id: 7, error: { code: -32603 } }));
  });

  it('ignores answers to ids it never sent', async () => {
    const { transport } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    transport.deliver({ jsonrpc: '2.0', id: 999, result: {} });
    expect(channel.pendingCount).toBe(0);
  });

  it('refuses a request beyond the in-flight bound instead of queueing it', async () => {
    const { transport } = fakeTransport();
    const channel = await openChannel(transport, 't', handlers());
    const waiting = Array.from({ length: MAX_PENDING_PER_CHANNEL }, () => channel.request('x', {}, { timeoutMs: 60_000 }));
    expect(await channel.request('x', {}, { timeoutMs: 60_000 })).toMatchObject({ kind: 'unavailable', detail: 't: too many requests in flight' });
    await channel.close();
    await Promise.all(waiting);
  });
});
