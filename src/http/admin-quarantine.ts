/**
 * The review API (DESIGN.md §4): `GET /v1/quarantine`, `GET /v1/quarantine/:id`,
 * `POST /v1/quarantine/:id/approve|reject` with body `{reason?}`. The bearer token's name is the reviewer, recorded
 * with the decision; a reviewer named like the item's agent is refused (an agent never decides its own item).
 */
import type { Hono } from 'hono';
import { readBodyCapped } from './read-body.js';

export interface QuarantineView {
  readonly id: string;
  readonly status: string;
  readonly agent: string;
  readonly backend: string | null;
  readonly tool: string | null;
  readonly reason: string;
  readonly created_at: string;
  readonly held: 'request' | 'response';
  readonly method: string;
  readonly held_stage: string;
  readonly findings: readonly unknown[];
  /** The held call as stored (`{params, result?}`, credentials masked); only in the single-item view. */
  readonly payload?: unknown;
  readonly decided_at: string | null;
  readonly decided_by: string | null;
  readonly review_reason: string | null;
}

export type QuarantineDecisionResult =
  | { readonly ok: true; readonly item: QuarantineView }
  | { readonly ok: false; readonly why: 'not_found' | 'not_pending' | 'expired' | 'own_item'; readonly item?: QuarantineView };

export interface QuarantineAdmin {
  list(status: string | undefined): QuarantineView[];
  pendingCount(): number;
  get(id: string): QuarantineView | undefined;
  decide(id: string, decision: 'approved' | 'rejected', reviewer: string, reason: string | null): QuarantineDecisionResult;
}

const STATUSES = new Set(['pending', 'approved', 'rejected', 'expired']);
const ID = /^q_[0-9a-f]{24}$/;
const MAX_BODY_BYTES = 16_384;

const REFUSALS = {
  not_found: { status: 404, error: 'no such quarantine item' },
  not_pending: { status: 409, error: 'the item was decided already' },
  expired: { status: 409, error: 'the item expired and can no longer be decided' },
  own_item: { status: 403, error: 'a reviewer cannot decide an item held for an agent of the same name' },
} as const;

export function mountQuarantineRoutes(app: Hono<{ Variables: { reviewer: string } }>, admin: QuarantineAdmin): void {
  app.get('/v1/quarantine', (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.has(status)) return c.json({ error: `status must be one of ${[...STATUSES].join(', ')}` }, 400);
    return c.json({ items: admin.list(status) });
  });
  app.get('/v1/quarantine/:id', (c) => {
    const id = c.req.param('id');
    if (!ID.test(id)) return c.json({ error: 'invalid quarantine id' }, 400);
    const item = admin.get(id);
    return item ? c.json(item) : c.json(REFUSALS.not_found, 404);
  });
  for (const [verb, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    app.post(`/v1/quarantine/:id/${verb}`, async (c) => {
      const id = c.req.param('id');
      if (!ID.test(id)) return c.json({ error: 'invalid quarantine id' }, 400);
      const body = await readBodyCapped(c.req.raw, MAX_BODY_BYTES);
      if (!body.ok) return c.json({ error: `the body is over ${MAX_BODY_BYTES} bytes` }, 413);
      let value: unknown = {};
      try {
        if (body.text.trim() !== '') value = JSON.parse(body.text);
      } catch {
        return c.json({ error: 'the body is not JSON' }, 400);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return c.json({ error: 'the body must be a JSON object {reason?}' }, 400);
      const reason = (value as { reason?: unknown }).reason;
      if (reason !== undefined && reason !== null && typeof reason !== 'string') return c.json({ error: 'reason must be a string' }, 400);
      const result = admin.decide(id, decision, c.get('reviewer'), typeof reason === 'string' && reason !== '' ? reason : null);
      if (result.ok) return c.json(result.item);
      const refusal = REFUSALS[result.why];
      return c.json({ error: refusal.error, ...(result.item ? { item: result.item } : {}) }, refusal.status);
    });
  }
}
