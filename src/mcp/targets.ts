/**
 * Which backend a call goes to, and the params it gets there (the client's namespaced name replaced by the
 * backend's own). Undefined when nothing matches: the caller answers `acl_denied`, the same answer a forbidden
 * target gets, so a client cannot probe which tools exist (DESIGN.md §2).
 */
import type { Target } from '../pipeline/types.js';
import type { RouterContext } from './router-context.js';

export interface RoutedCall {
  readonly target: Target;
  readonly params: Record<string, unknown>;
}

/** Methods that go to exactly one backend. */
export const ROUTED_METHODS = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
]);

export function resolveTarget(ctx: RouterContext, method: string, params: Record<string, unknown>): RoutedCall | undefined {
  switch (method) {
    case 'tools/call':
      return byName(ctx, 'tools', params.name, (name) => ({ ...params, name }));
    case 'prompts/get':
      return byName(ctx, 'prompts', params.name, (name) => ({ ...params, name }));
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return byUri(ctx, params.uri, params);
    case 'completion/complete':
      return completionTarget(ctx, params);
    default:
      return undefined;
  }
}

function byName(
  ctx: RouterContext,
  kind: 'tools' | 'prompts',
  exposed: unknown,
  rewrite: (name: string) => Record<string, unknown>,
): RoutedCall | undefined {
  if (typeof exposed !== 'string') return undefined;
  const resolved = ctx.namers[kind].resolve(exposed);
  if (!resolved) return undefined;
  return {
    target: { backend: resolved.backend, kind: kind === 'tools' ? 'tool' : 'prompt', name: resolved.name },
    params: rewrite(resolved.name),
  };
}

function byUri(ctx: RouterContext, uri: unknown, params: Record<string, unknown>): RoutedCall | undefined {
  if (typeof uri !== 'string') return undefined;
  const backend = ctx.routes.resolve(uri) ?? soleResourceBackend(ctx);
  return backend === undefined ? undefined : { target: { backend, kind: 'resource', name: uri }, params };
}

/** With one backend offering resources, an unlisted URI can only be meant for it. */
function soleResourceBackend(ctx: RouterContext): string | undefined {
  const offering = [...ctx.backends.values()].filter((b) => b.info() && 'resources' in (b.info()?.capabilities ?? {}));
  return offering.length === 1 ? offering[0]?.id : undefined;
}

function completionTarget(ctx: RouterContext, params: Record<string, unknown>): RoutedCall | undefined {
  const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === 'ref/prompt') {
    return byName(ctx, 'prompts', ref.name, (name) => ({ ...params, ref: { ...ref, name } }));
  }
  if (ref?.type === 'ref/resource') return byUri(ctx, ref.uri, params);
  return undefined;
}
