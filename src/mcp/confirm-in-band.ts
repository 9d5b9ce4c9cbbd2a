/**
 * In-band confirmation (`quarantine.elicitation: true`, off by default): for a call an approval policy held, when the
 * client declared MCP elicitation support, the gateway asks the client's user to confirm it with `elicitation/create`
 * while an operator can still decide. Rule and guard holds are never offered this way: they always need an operator.
 * The user's answer is recorded as a decision like any other (reviewer `<agent> (user, in the client)`).
 */
import type { ClientSession, InflightCall } from './client-session.js';
import { idKey } from './jsonrpc.js';
import { type HoldRequest, type RouterContext, sendToClient } from './router-context.js';

export type UserAnswer = 'accepted' | 'declined' | 'no_answer';

/** Most characters of the call's arguments shown to the user. */
const MAX_SHOWN_ARGUMENT_CHARS = 500;

/** Whether this hold may be confirmed by the client's user. */
export function mayConfirmInBand(ctx: RouterContext, session: ClientSession, heldStage: string): boolean {
  return heldStage === 'check-approval' && ctx.live().config.quarantine.elicitation && 'elicitation' in session.clientCapabilities;
}

/** Asks the user; resolves with their answer, or `no_answer` when `signal` aborts first (the request is withdrawn). */
export function askUserToConfirm(ctx: RouterContext, session: ClientSession, call: InflightCall, hold: HoldRequest, itemId: string, signal: AbortSignal): Promise<UserAnswer> {
  const id = `portcullis-${ctx.nextForwardedId++}`;
  const shown = JSON.stringify(hold.params.arguments ?? hold.params.uri ?? {});
  const params = {
    message:
      `Portcullis is holding a call for approval (${itemId}): ${hold.backend ?? '-'}/${hold.tool ?? '-'} with ` +
      `${shown.length > MAX_SHOWN_ARGUMENT_CHARS ? `${shown.slice(0, MAX_SHOWN_ARGUMENT_CHARS)}…` : shown}. Let it run?`,
    requestedSchema: {
      type: 'object',
      properties: { approve: { type: 'boolean', title: 'Approve this call', description: 'Yes lets this one call run now.' } },
      required: ['approve'],
    },
  };
  return new Promise<UserAnswer>((resolve) => {
    const finish = (answer: UserAnswer): void => {
      signal.removeEventListener('abort', withdraw);
      session.forwarded.delete(idKey(id));
      resolve(answer);
    };
    const withdraw = (): void => {
      void sendToClient(ctx, session, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'decided elsewhere' } });
      finish('no_answer');
    };
    session.forwarded.set(idKey(id), {
      backend: '',
      settle: (message) => {
        const result = 'result' in message ? (message.result as { action?: unknown; content?: { approve?: unknown } }) : undefined;
        if (result?.action === 'accept' && result.content?.approve === true) finish('accepted');
        else if (result?.action === 'decline' || (result?.action === 'accept' && result.content?.approve === false)) finish('declined');
        else finish('no_answer');
      },
    });
    signal.addEventListener('abort', withdraw, { once: true });
    void sendToClient(ctx, session, { jsonrpc: '2.0', id, method: 'elicitation/create', params }, call.id).then((sent) => {
      if (!sent) finish('no_answer');
    });
  });
}
