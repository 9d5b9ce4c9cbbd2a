/**
 * List calls over every backend (DESIGN.md §1): ask each backend that is up and offers the list, rename tools and
 * prompts for the client, learn resource routes, and merge. Pagination: see list-cursor.ts. A backend that fails
 * a list is left out of that page (and its failure logged), so one broken backend never hides the others.
 */
import type { Answer } from './jsonrpc.js';
import { JSONRPC } from './jsonrpc.js';
import type { ClientSession } from './client-session.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { type RouterContext, linkOf } from './router-context.js';

interface ListSpec {
  readonly field: string;
  readonly capability: string;
  readonly rename?: 'tools' | 'prompts';
  readonly learn?: 'uri' | 'uriTemplate';
  /** What policy kind an item is, for showing a caller only what its policy lets it use (DESIGN.md §1). */
  readonly policyKind?: 'tool' | 'prompt' | 'resource';
}

export const LIST_METHODS: Readonly<Record<string, ListSpec>> = {
  'tools/list': { field: 'tools', capability: 'tools', rename: 'tools', policyKind: 'tool' },
  'prompts/list': { field: 'prompts', capability: 'prompts', rename: 'prompts', policyKind: 'prompt' },
  'resources/list': { field: 'resources', capability: 'resources', learn: 'uri', policyKind: 'resource' },
  // Templates are not filtered: a template names no one resource; every read it leads to meets the ACL.
  'resources/templates/list': { field: 'resourceTemplates', capability: 'resources', learn: 'uriTemplate' },
};

/** Answers a list call by asking the backends. */
export async function fanOutList(
  ctx: RouterContext,
  session: ClientSession,
  method: string,
  params: Record<string, unknown> | undefined,
  signal: AbortSignal,
): Promise<Answer> {
  const spec = LIST_METHODS[method];
  if (!spec) return { error: { code: JSONRPC.methodNotFound, message: `Method not found: ${method}` } };
  const pages = pagesToRead(ctx, spec, params?.cursor);
  if (!pages) return { error: { code: JSONRPC.invalidParams, message: 'Invalid cursor' } };

  const results = await Promise.all(
    [...pages].map(async ([backendId, cursor]) => ({ backendId, page: await readPage(ctx, session, backendId, method, cursor, signal) })),
  );
  const items: unknown[] = [];
  const next = new Map<string, string>();
  const policy = ctx.live().policy;
  for (const { backendId, page } of results) {
    if (!page) continue;
    const list = Array.isArray(page[spec.field]) ? (page[spec.field] as unknown[]) : [];
    for (const item of list) {
      if (!permitted(spec, backendId, item, (target) => policy.decide(session.agent, target) === 'allow')) continue;
      // A tool whose definition changed since it was pinned, or whose description the rules flag, is not shown.
      if (spec.field === 'tools' && !ctx.toolGate.isVisible(backendId, item, session.agent)) continue;
      const adopted = adoptItem(ctx, spec, backendId, item);
      if (adopted !== undefined) items.push(adopted);
    }
    if (typeof page.nextCursor === 'string') next.set(backendId, page.nextCursor);
  }
  const nextCursor = encodeCursor(next);
  return { result: { [spec.field]: items, ...(nextCursor ? { nextCursor } : {}) } };
}

function pagesToRead(ctx: RouterContext, spec: ListSpec, cursor: unknown): Map<string, string | undefined> | undefined {
  if (cursor !== undefined) {
    if (typeof cursor !== 'string') return undefined;
    const pending = decodeCursor(cursor, new Set(ctx.backends.keys()));
    return pending ? new Map(pending) : undefined;
  }
  const pages = new Map<string, string | undefined>();
  for (const [id, backend] of ctx.backends) {
    const info = backend.info();
    if (backend.status().state === 'up' && info && spec.capability in info.capabilities) pages.set(id, undefined);
  }
  return pages;
}

async function readPage(
  ctx: RouterContext,
  session: ClientSession,
  backendId: string,
  method: string,
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<Record<string, unknown> | undefined> {
  const backend = ctx.backends.get(backendId);
  if (!backend) return undefined;
  const lookup = await backend.channelFor(linkOf(session));
  if (!lookup.ok) return undefined;
  session.backends.add(backendId);
  const outcome = await lookup.channel.request(method, cursor === undefined ? {} : { cursor }, {
    timeoutMs: backend.config.timeout_s * 1000,
    signal,
  });
  if (outcome.kind === 'unavailable') backend.reportFailure();
  if (outcome.kind !== 'answer') return undefined;
  if ('error' in outcome.answer) {
    ctx.logger.warn('backend list failed', { backend: backendId, method, error: outcome.answer.error.message });
    return undefined;
  }
  return outcome.answer.result;
}

function permitted(
  spec: ListSpec,
  backend: string,
  item: unknown,
  allows: (target: { backend: string; kind: 'tool' | 'prompt' | 'resource'; name: string }) => boolean,
): boolean {
  if (!spec.policyKind) return true;
  const record = item as Record<string, unknown> | null;
  const name = spec.policyKind === 'resource' ? record?.uri : record?.name;
  return typeof name === 'string' && allows({ backend, kind: spec.policyKind, name });
}

/** Renames or learns one list item; drops items that are not objects or lack their key. */
function adoptItem(ctx: RouterContext, spec: ListSpec, backendId: string, item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return undefined;
  const record = item as Record<string, unknown>;
  if (spec.rename) {
    if (typeof record.name !== 'string') return undefined;
    return { ...record, name: ctx.namers[spec.rename].expose(backendId, record.name) };
  }
  const key = spec.learn === 'uri' ? record.uri : record.uriTemplate;
  if (typeof key !== 'string') return undefined;
  if (spec.learn === 'uri') ctx.routes.learn(backendId, key);
  else ctx.routes.learnTemplate(backendId, key);
  return record;
}
