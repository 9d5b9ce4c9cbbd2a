/** Audit rows for notifications that cross the gateway. Not awaited: a notification is not a call to fail closed. */
import type { ClientSession } from './client-session.js';
import type { RouterContext } from './router-context.js';

export function recordNotification(
  ctx: RouterContext,
  session: ClientSession | undefined,
  backend: string,
  method: string,
  direction: 'to_client' | 'to_backend',
): void {
  ctx.metrics.countNotification(direction, method);
  ctx.audit
    .append({
      ts: Date.now(),
      kind: 'notification',
      sessionId: session?.id ?? null,
      agent: session?.agent ?? null,
      verified: session?.verified ?? false,
      source: session?.source ?? null,
      backend,
      method,
      decision: 'allow',
      forwarded: true,
      mode: ctx.live().config.mode,
      detail: direction,
    })
    .catch((error: unknown) => {
      ctx.metrics.countAuditFailure();
      ctx.logger.error('audit write failed for a notification', { method, error });
    });
}
