/**
 * Webhooks (DESIGN.md §4 `webhooks`): on `blocked`, `quarantined`, `approved`, `rejected` and `agent_suspended`, a
 * JSON POST to every configured URL that subscribed to the event, signed with HMAC-SHA256 over the exact body bytes
 * (`X-Portcullis-Signature: sha256=<hex>`, keyed with the hook's `secret`). Never on a request's critical path:
 * `emit` only queues. The queue is bounded (the oldest delivery is dropped, and counted, when it is full);
 * deliveries are retried with exponential backoff, a few at a time, each with a timeout. A receiver that never
 * answers costs a timer, not a request.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';

export type WebhookEvent = Config['webhooks'][number]['events'][number];

export interface WebhookDispatcher {
  /** Queues `event` for every hook subscribed to it. Returns at once. */
  emit(event: WebhookEvent, data: Readonly<Record<string, unknown>>): void;
  /** Resolves when the queue is empty and nothing is in flight (tests, shutdown). */
  drain(timeoutMs: number): Promise<void>;
  stats(): { readonly queued: number; readonly delivered: number; readonly failed: number; readonly dropped: number };
  close(): void;
}

export interface WebhookOptions {
  readonly hooks: () => Config['webhooks'];
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly limits?: Partial<WebhookLimits>;
}

export interface WebhookLimits {
  readonly queue: number;
  readonly concurrency: number;
  readonly attempts: number;
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
}

export const WEBHOOK_LIMITS: WebhookLimits = {
  /** Deliveries waiting, across hooks. */
  queue: 1_000,
  /** Deliveries in flight at once. */
  concurrency: 4,
  attempts: 6,
  firstBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  timeoutMs: 5_000,
};

interface Delivery {
  readonly url: string;
  readonly secret: string;
  readonly event: WebhookEvent;
  readonly id: string;
  readonly body: string;
  attempt: number;
  /** Not before this time (ms since the epoch). */
  notBefore: number;
}

/** The signature header value a receiver recomputes: HMAC-SHA256 of the raw body, keyed with the hook's secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createWebhookDispatcher(options: WebhookOptions): WebhookDispatcher {
  const limits: WebhookLimits = { ...WEBHOOK_LIMITS, ...options.limits };
  const send = options.fetch ?? fetch;
  const queue: Delivery[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  /** When `timer` fires. */
  let timerAt = Number.POSITIVE_INFINITY;
  let closed = false;
  const counts = { delivered: 0, failed: 0, dropped: 0 };
  const idle: (() => void)[] = [];

  const settleIdle = (): void => {
    if (queue.length === 0 && inFlight === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const schedule = (): void => {
    if (closed) return settleIdle();
    // Every slot busy: the delivery that frees one pumps again, no timer needed.
    if (inFlight >= limits.concurrency) return;
    const next = queue.reduce((at, d) => Math.min(at, d.notBefore), Number.POSITIVE_INFINITY);
    if (next === Number.POSITIVE_INFINITY) return settleIdle();
    // A timer already set for this time or sooner serves; a later one is replaced (a short retry never waits
    // behind a long backoff).
    if (timer && timerAt <= next) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      pump();
    }, Math.max(0, next - Date.now()));
    timer.unref();
  };

  const pump = (): void => {
    const now = Date.now();
    while (!closed && inFlight < limits.concurrency) {
      const index = queue.findIndex((d) => d.notBefore <= now);
      if (index < 0) break;
      const [delivery] = queue.splice(index, 1) as [Delivery];
      inFlight++;
      void deliver(delivery).finally(() => {
        inFlight--;
        pump();
      });
    }
    schedule();
  };

  const deliver = async (delivery: Delivery): Promise<void> => {
    delivery.attempt++;
    let problem: string | undefined;
    try {
      const response = await send(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'portcullis-webhooks',
          'x-portcullis-event': delivery.event,
          'x-portcullis-delivery': delivery.id,
          'x-portcullis-signature': webhookSignature(delivery.secret, delivery.body),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(limits.timeoutMs),
      });
      // The body is not read: a receiver's answer is never trusted beyond its status.
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        counts.delivered++;
        return;
      }
      problem = `answered ${response.status}`;
    } catch (error) {
      // fetch's messages may quote the URL: never its credentials or query in the log.
      problem = (error instanceof Error ? error.message : String(error)).split(delivery.url).join(redact(delivery.url));
    }
    if (delivery.attempt >= limits.attempts || closed) {
      counts.failed++;
      options.logger.warn('webhook delivery failed; giving up', { url: redact(delivery.url), event: delivery.event, attempts: delivery.attempt, problem });
      return;
    }
    const backoff = Math.min(limits.maxBackoffMs, limits.firstBackoffMs * 2 ** (delivery.attempt - 1));
    delivery.notBefore = Date.now() + backoff;
    options.logger.debug('webhook delivery failed; retrying', { url: redact(delivery.url), event: delivery.event, attempt: delivery.attempt, backoff_ms: backoff, problem });
    enqueue(delivery);
  };

  const enqueue = (delivery: Delivery): void => {
    if (queue.length >= limits.queue) {
      queue.shift();
      counts.dropped++;
      options.logger.warn('webhook queue full: oldest delivery dropped', { queue: limits.queue });
    }
    queue.push(delivery);
  };

  return {
    emit(event, data) {
      if (closed) return;
      const hooks = options.hooks().filter((hook) => hook.events.includes(event));
      if (hooks.length === 0) return;
      const id = randomUUID();
      const body = JSON.stringify({ id, event, ts: new Date().toISOString(), data });
      for (const hook of hooks) enqueue({ url: hook.url, secret: hook.secret, event, id, body, attempt: 0, notBefore: 0 });
      // Only queued here: signing and sending start on a later turn, off the caller's path.
      setImmediate(pump);
    },
    drain(timeoutMs) {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    stats: () => ({ queued: queue.length, ...counts }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      queue.length = 0;
      settleIdle();
    },
  };
}

/** A URL for the log without its credentials or query (a token in a webhook URL must not land in logs). */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
