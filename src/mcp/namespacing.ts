/**
 * Tool and prompt names as clients see them (DESIGN.md §1): `<backend>__<name>` under `prefix: always`; under
 * `on_conflict` only names that two backends share are prefixed; under `never` names are bare and a shared name is
 * refused at start. Backend ids cannot contain `_`, so the first `__` always splits a prefixed name unambiguously.
 */
export type PrefixMode = 'always' | 'on_conflict' | 'never';

export const NAME_SEPARATOR = '__';

/** Names per backend, in config order; `undefined` when a backend's list is unknown (it is down). */
export type NamesByBackend = ReadonlyMap<string, readonly string[] | undefined>;

export interface Namer {
  /** The name a client sees for `name` of `backend`. */
  expose(backend: string, name: string): string;
  /** The backend and original name behind a name a client sent, if any backend offers it. */
  resolve(exposed: string): { backend: string; name: string } | undefined;
}

/** Names offered by more than one backend. */
export function findSharedNames(names: NamesByBackend): Set<string> {
  const owners = new Map<string, number>();
  for (const list of names.values()) for (const name of new Set(list ?? [])) owners.set(name, (owners.get(name) ?? 0) + 1);
  return new Set([...owners].filter(([, count]) => count > 1).map(([name]) => name));
}

/** Builds a namer over the current names of every backend. */
export function createNamer(mode: PrefixMode, names: NamesByBackend): Namer {
  const shared = mode === 'on_conflict' ? findSharedNames(names) : new Set<string>();
  const owner = new Map<string, string>();
  for (const [backend, list] of names) for (const name of list ?? []) if (!owner.has(name)) owner.set(name, backend);

  const offered = new Map([...names].map(([backend, list]) => [backend, list && new Set(list)]));
  // Only names a backend lists resolve: an unknown tool of a known backend gets the same answer as an unknown
  // backend (acl_denied), so a caller cannot probe what exists (DESIGN.md §2). A backend that is down has no known
  // list: a call addressed to it resolves, and is answered backend_unavailable.
  const splitPrefixed = (exposed: string): { backend: string; name: string } | undefined => {
    const at = exposed.indexOf(NAME_SEPARATOR);
    if (at <= 0) return undefined;
    const backend = exposed.slice(0, at);
    const name = exposed.slice(at + NAME_SEPARATOR.length);
    if (!offered.has(backend) || name === '') return undefined;
    const list = offered.get(backend);
    return list === undefined || list.has(name) ? { backend, name } : undefined;
  };

  switch (mode) {
    case 'always':
      return {
        expose: (backend, name) => `${backend}${NAME_SEPARATOR}${name}`,
        resolve: splitPrefixed,
      };
    case 'on_conflict':
      return {
        expose: (backend, name) => (shared.has(name) ? `${backend}${NAME_SEPARATOR}${name}` : name),
        resolve: (exposed) => {
          const prefixed = splitPrefixed(exposed);
          if (prefixed && shared.has(prefixed.name)) return prefixed;
          const backend = shared.has(exposed) ? undefined : owner.get(exposed);
          return backend === undefined ? undefined : { backend, name: exposed };
        },
      };
    case 'never':
      return {
        expose: (_backend, name) => name,
        resolve: (exposed) => {
          const backend = owner.get(exposed);
          return backend === undefined ? undefined : { backend, name: exposed };
        },
      };
  }
}
