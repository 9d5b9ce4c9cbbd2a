/**
 * Which backend serves a resource URI (DESIGN.md §1: resources keep their URIs and go to the backend that listed
 * them). Learned from every resources/list and resources/templates/list the gateway sees; bounded, oldest forgotten
 * first. A URI no backend listed is matched against the backends' URI templates (RFC 6570, read loosely).
 */
const MAX_ROUTES = 100_000;

export interface ResourceRoutes {
  learn(backend: string, uri: string): void;
  learnTemplate(backend: string, template: string): void;
  /** Forgets everything learned from `backend` (its lists changed or it went down). */
  forget(backend: string): void;
  resolve(uri: string): string | undefined;
}

export function createResourceRoutes(maxRoutes = MAX_ROUTES): ResourceRoutes {
  const exact = new Map<string, string>();
  const templates = new Map<string, { backend: string; tokens: TemplateToken[] }>();

  return {
    learn(backend, uri) {
      exact.delete(uri);
      exact.set(uri, backend);
      if (exact.size > maxRoutes) exact.delete(exact.keys().next().value as string);
    },
    learnTemplate(backend, template) {
      const key = `${backend}\u0000${template}`;
      if (templates.has(key) || templates.size >= 10_000) return;
      const tokens = compileTemplate(template);
      if (tokens) templates.set(key, { backend, tokens });
    },
    forget(backend) {
      for (const [uri, owner] of exact) if (owner === backend) exact.delete(uri);
      for (const [key, entry] of templates) if (entry.backend === backend) templates.delete(key);
    },
    resolve(uri) {
      const known = exact.get(uri);
      if (known !== undefined) return known;
      for (const { backend, tokens } of templates.values()) if (matchesTemplate(tokens, uri)) return backend;
      return undefined;
    },
  };
}

/** A compiled URI template: literal text and wildcards (`segment` stops at `/?#`; `any` matches anything). */
export type TemplateToken = { readonly literal: string } | { readonly wildcard: 'segment' | 'any' };

/** Longest URI matched against templates; longer URIs only match exactly listed ones. */
const MAX_MATCH_CHARS = 8_192;

/**
 * Compiles a URI template (RFC 6570, read loosely): `{var}` is one path segment, every operator form (`{+var}`,
 * `{/var}`, `{?q}`, …) matches anything. Undefined for templates too long to trust or unterminated.
 */
export function compileTemplate(template: string): TemplateToken[] | undefined {
  if (template.length > 1_000) return undefined;
  const tokens: TemplateToken[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      tokens.push({ literal: rest });
      break;
    }
    const close = rest.indexOf('}', open);
    if (close < 0) return undefined;
    if (open > 0) tokens.push({ literal: rest.slice(0, open) });
    const operator = rest[open + 1] ?? '';
    tokens.push({ wildcard: /[A-Za-z0-9_%]/.test(operator) ? 'segment' : 'any' });
    rest = rest.slice(close + 1);
  }
  return tokens;
}

/**
 * Matches by tracking the set of reachable positions, one token at a time: O(length × tokens), never the
 * exponential backtracking a regular expression with adjacent wildcards can fall into on hostile URIs.
 */
export function matchesTemplate(tokens: readonly TemplateToken[], uri: string): boolean {
  if (uri.length > MAX_MATCH_CHARS) return false;
  let reachable = new Uint8Array(uri.length + 1);
  reachable[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(uri.length + 1);
    let any = false;
    if ('literal' in token) {
      for (let i = 0; i + token.literal.length <= uri.length; i++) {
        if (reachable[i] && uri.startsWith(token.literal, i)) {
          next[i + token.literal.length] = 1;
          any = true;
        }
      }
    } else {
      let open = false;
      for (let i = 0; i <= uri.length; i++) {
        if (reachable[i]) open = true;
        if (open) {
          next[i] = 1;
          any = true;
        }
        if (token.wildcard === 'segment' && i < uri.length && '/?#'.includes(uri[i] as string)) open = false;
      }
    }
    if (!any) return false;
    reachable = next;
  }
  return reachable[uri.length] === 1;
}
