/**
 * What a backend offers (tools, prompts, resources, templates), read through the gateway's own session with it.
 * Used to route names, detect name conflicts, report tool counts and health. Bounded: a hostile backend cannot
 * make the gateway page forever or hold unbounded lists.
 */
import type { UpstreamChannel } from './channel.js';
import type { BackendInfo } from './handshake.js';

export interface Catalog {
  readonly tools: readonly string[];
  readonly prompts: readonly string[];
  readonly resources: readonly string[];
  readonly resourceTemplates: readonly string[];
}

export const EMPTY_CATALOG: Catalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

/** Most pages read from one list; most items kept from one list. */
export const CATALOG_LIMITS = { pages: 100, items: 10_000 } as const;

const LISTS = [
  { key: 'tools', method: 'tools/list', field: 'tools', member: 'name', capability: 'tools' },
  { key: 'prompts', method: 'prompts/list', field: 'prompts', member: 'name', capability: 'prompts' },
  { key: 'resources', method: 'resources/list', field: 'resources', member: 'uri', capability: 'resources' },
  {
    key: 'resourceTemplates',
    method: 'resources/templates/list',
    field: 'resourceTemplates',
    member: 'uriTemplate',
    capability: 'resources',
  },
] as const;

/**
 * Reads every list the backend's capabilities announce. A list that fails is empty (the backend may lack it).
 * `onTools` sees the full tool definitions (for pinning them on first sight).
 */
export async function fetchCatalog(
  channel: UpstreamChannel,
  info: BackendInfo,
  timeoutMs: number,
  onTools?: (tools: readonly unknown[]) => void,
): Promise<Catalog> {
  const entries = await Promise.all(
    LISTS.map(async (list) => {
      if (!(list.capability in info.capabilities)) return [list.key, []] as const;
      const onItems = list.key === 'tools' ? onTools : undefined;
      return [list.key, await readAllPages(channel, list, timeoutMs, onItems)] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as Catalog;
}

async function readAllPages(
  channel: UpstreamChannel,
  list: { readonly method: string; readonly field: string; readonly member: string },
  timeoutMs: number,
  onItems: ((items: readonly unknown[]) => void) | undefined,
): Promise<string[]> {
  const { method, field, member } = list;
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < CATALOG_LIMITS.pages; page++) {
    const outcome = await channel.request(method, cursor === undefined ? {} : { cursor }, { timeoutMs });
    if (outcome.kind !== 'answer' || 'error' in outcome.answer) break;
    const result = outcome.answer.result;
    const items = Array.isArray(result[field]) ? (result[field] as unknown[]).slice(0, CATALOG_LIMITS.items) : [];
    onItems?.(items);
    for (const item of items) {
      const value = (item as Record<string, unknown> | null)?.[member];
      if (typeof value === 'string' && names.length < CATALOG_LIMITS.items) names.push(value);
    }
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === cursor) break;
    cursor = next;
  }
  return names;
}
