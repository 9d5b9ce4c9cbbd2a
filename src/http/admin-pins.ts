/**
 * Admin routes for tool pins (DESIGN.md §4 `/v1/admin/...`): the changed tool definitions awaiting approval, and
 * approving one. The bearer token's name is the reviewer, recorded with the approval.
 */
import type { Hono } from 'hono';

export interface PinView {
  readonly id: number;
  readonly backend: string;
  readonly tool: string;
  readonly sha256: string;
  readonly status: string;
  readonly first_seen: string;
  /** `- old` / `+ new` lines against the approved definition. */
  readonly diff: string | null;
}

export interface PinAdmin {
  listPending(): PinView[];
  /** undefined when no pending pin has this id. */
  approve(id: number, reviewer: string): PinView | undefined;
}

export function mountPinRoutes(app: Hono<{ Variables: { reviewer: string } }>, admin: PinAdmin): void {
  app.get('/v1/admin/pins', (c) => c.json({ pins: admin.listPending() }));
  app.post('/v1/admin/pins/:id/approve', (c) => {
    const raw = c.req.param('id');
    if (!/^[1-9]\d{0,15}$/.test(raw)) return c.json({ error: 'invalid pin id' }, 400);
    const approved = admin.approve(Number(raw), c.get('reviewer'));
    return approved ? c.json(approved) : c.json({ error: `no pending pin ${raw}` }, 404);
  });
}
