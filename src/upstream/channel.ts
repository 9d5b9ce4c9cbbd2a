/**
 * One MCP session with a backend over an SDK client transport (stdio or Streamable HTTP). The gateway's router works
 * on raw JSON-RPC messages; this module maps request ids and progress tokens so that many client sessions can share
 * one backend session without their ids colliding, and turns timeouts, cancellation and a dead transport into values.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type Answer,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
  answerOf,
  isNotification,
  isRequest,
  isResponse,
  progressTokenOf,
  withProgressToken,
} from '../mcp/jsonrpc.js';
import { LostRequestError } from './http-transport.js';

/** How a request to a backend ended. `unavailable`: the backend is gone, or did not answer in time. */
export type UpstreamOutcome =
  | { readonly kind: 'answer'; readonly answer: Answer }
  | { readonly kind: 'unavailable'; readonly detail: string }
  | { readonly kind: 'cancelled' };

export interface UpstreamRequestOptions {
  readonly timeoutMs: number;
  /** Aborting sends `notifications/cancelled` to the backend and settles the request as `cancelled`. */
  readonly signal?: AbortSignal;
  /** Called with each `notifications/progress` params for this request (progress token already restored). */
  readonly onProgress?: (params: Record<string, unknown>) => void;
}

/** Handlers for what a backend sends on its own. */
export interface ChannelHandlers {
  /** A server→client request (sampling, elicitation, roots/list, ping): resolve with the answer to send back. */
  readonly onServerRequest: (request: JSONRPCRequest, channel: UpstreamChannel) => Promise<Answer>;
  readonly onNotification: (notification: JSONRPCNotification, channel: UpstreamChannel) => void;
  readonly onClose: (channel: UpstreamChannel) => void;
  readonly onError?: (error: Error) => void;
}

export interface UpstreamChannel {
  readonly label: string;
  readonly closed: boolean;
  /** Number of requests waiting for an answer. */
  readonly pendingCount: number;
  request(method: string, params: unknown, options: UpstreamRequestOptions): Promise<UpstreamOutcome>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Closes the transport; pending requests settle as `unavailable`. */
  close(): Promise<void>;
}

interface Pending {
  readonly settle: (outcome: UpstreamOutcome) => void;
  readonly progressToken: string | undefined;
}

/** Most requests one channel may have waiting; beyond that a request is refused rather than queued without bound. */
export const MAX_PENDING_PER_CHANNEL = 10_000;

/** Wraps a started or unstarted SDK transport. Call `start()` on the transport through `openChannel`. */
export async function openChannel(transport: Transport, label: string, handlers: ChannelHandlers): Promise<UpstreamChannel> {
  const pending = new Map<RequestId, Pending>();
  const progress = new Map<string, (params: Record<string, unknown>) => void>();
  let nextId = 1;
  let closed = false;

  const settleAll = (detail: string): void => {
    for (const entry of pending.values()) entry.settle({ kind: 'unavailable', detail });
    pending.clear();
    progress.clear();
  };

  const channel: UpstreamChannel = {
    label,
    get closed() {
      return closed;
    },
    get pendingCount() {
      return pending.size;
    },
    request(method, params, options) {
      if (closed) return Promise.resolve({ kind: 'unavailable', detail: `${label}: connection closed` });
      if (pending.size >= MAX_PENDING_PER_CHANNEL) {
        return Promise.resolve({ kind: 'unavailable', detail: `${label}: too many requests in flight` });
      }
      const id = nextId++;
      const clientToken = progressTokenOf(params);
      const upstreamToken = clientToken === undefined ? undefined : `portcullis-${id}`;
      const sentParams = upstreamToken === undefined ? params : withProgressToken(params, upstreamToken);
      return new Promise<UpstreamOutcome>((resolve) => {
        const finish = (outcome: UpstreamOutcome): void => {
          if (!pending.delete(id)) return;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          if (upstreamToken !== undefined) progress.delete(upstreamToken);
          resolve(outcome);
        };
        const cancelUpstream = (reason: string): void => {
          void transport
            .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } })
            .catch(() => undefined);
        };
        const timer = setTimeout(() => {
          cancelUpstream('timed out at the gateway');
          finish({ kind: 'unavailable', detail: `${label}: no answer within ${options.timeoutMs} ms` });
        }, options.timeoutMs);
        const onAbort = (): void => {
          cancelUpstream('cancelled by the client');
          finish({ kind: 'cancelled' });
        };
        pending.set(id, { settle: finish, progressToken: upstreamToken });
        if (upstreamToken !== undefined && options.onProgress) {
          const onProgress = options.onProgress;
          progress.set(upstreamToken, (p) => onProgress({ ...p, progressToken: clientToken }));
        }
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const message = { jsonrpc: '2.0', id, method, ...(sentParams === undefined ? {} : { params: sentParams }) };
        transport.send(message as JSONRPCRequest).catch((error: unknown) => {
          finish({ kind: 'unavailable', detail: `${label}: ${describeError(error)}` });
        });
      });
    },
    async notify(method, params) {
      if (closed) return;
      await transport.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }).catch((error: unknown) => {
        handlers.onError?.(new Error(`${label}: could not send ${method}: ${describeError(error)}`));
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      settleAll(`${label}: connection closed`);
      await transport.close().catch(() => undefined);
    },
  };

  const answerServerRequest = async (request: JSONRPCRequest): Promise<void> => {
    let answer: Answer;
    try {
      answer = await handlers.onServerRequest(request, channel);
    } catch (error) {
      answer = { error: { code: -32603, message: `Gateway could not handle ${request.method}` } };
      handlers.onError?.(new Error(`${label}: ${request.method}: ${describeError(error)}`));
    }
    if (closed) return;
    const response = 'error' in answer
      ? { jsonrpc: '2.0' as const, id: request.id, error: answer.error }
      : { jsonrpc: '2.0' as const, id: request.id, result: answer.result };
    await transport.send(response as JSONRPCMessage).catch(() => undefined);
  };

  transport.onmessage = (message: JSONRPCMessage) => {
    if (isResponse(message)) {
      if (message.id !== undefined) pending.get(message.id)?.settle({ kind: 'answer', answer: answerOf(message) });
    } else if (isRequest(message)) {
      void answerServerRequest(message);
    } else if (isNotification(message)) {
      if (message.method === 'notifications/progress') {
        const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
        const forward = typeof token === 'string' ? progress.get(token) : undefined;
        if (forward) forward(message.params as Record<string, unknown>);
        return;
      }
      handlers.onNotification(message, channel);
    }
  };
  transport.onclose = () => {
    if (!closed) {
      closed = true;
      settleAll(`${label}: connection lost`);
    }
    handlers.onClose(channel);
  };
  transport.onerror = (error: Error) => {
    // The HTTP transport reports a request whose stream broke before its answer: settle it now, not at timeout.
    if (error instanceof LostRequestError) {
      pending.get(error.requestId)?.settle({ kind: 'unavailable', detail: `${label}: ${error.message}` });
      return;
    }
    handlers.onError?.(error);
  };
  await transport.start();
  return channel;
}

/** Turns an unknown thrown value into one line of text. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

