/**
 * Which backend serves a resource URI (DESIGN.md §1: resources keep their URIs and go to the backend that listed
 * them). Learned from every resources/list and resources/templates/list the gateway sees; bounded, oldest forgotten
 * first. A URI no backend listed is matched against the backends' URI templates (RFC 6570, levels 1–3 read loosely).
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
  const templates = new Map<string, { backend: string; pattern: RegExp }>();

  return {
    learn(backend, uri) {
      exact.delete(uri);
      exact.set(uri, backend);
      if (exact.size > maxRoutes) exact.delete(exact.keys().next().value as string);
    },
    learnTemplate(backend, template) {
      const key = `${backend}\u0000${template}`;
      if (templates.has(key) || templates.size >= 10_000) return;
      const pattern = templateToPattern(template);
      if (pattern) templates.set(key, { backend, pattern });
    },
    forget(backend) {
      for (const [uri, owner] of exact) if (owner === backend) exact.delete(uri);
      for (const [key, entry] of templates) if (entry.backend === backend) templates.delete(key);
    },
    resolve(uri) {
      const known = exact.get(uri);
      if (known !== undefined) return known;
      for (const { backend, pattern } of templates.values()) if (pattern.test(uri)) return backend;
      return undefined;
    },
  };
}

/**
 * Turns a URI template into an anchored pattern: literal text is escaped, `{var}` matches one path segment,
 * `{+var}`/`{#var}` anything, `{/var}`/`{?var}`/`{&var}`/`{.var}`/`{;var}` their optional expansions. The
 * patterns have no nested quantifiers, so matching is linear. Undefined for templates too long to trust.
 */
export function templateToPattern(template: string): RegExp | undefined {
  if (template.length > 1_000) return undefined;
  let source = '^';
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      source += escape(rest);
      break;
    }
    const close = rest.indexOf('}', open);
    if (close < 0) return undefined;
    source += escape(rest.slice(0, open));
    source += expressionPattern(rest.slice(open + 1, close));
    rest = rest.slice(close + 1);
  }
  return new RegExp(`${source}$`, 'u');
}

function expressionPattern(expression: string): string {
  const operator = expression[0] ?? '';
  switch (operator) {
    case '+':
    case '#':
      return '.*';
    case '/':
      return '(?:/[^?#]*)?';
    case '?':
    case '&':
      return '(?:[?&][^#]*)?';
    case '.':
      return '(?:\\.[^/?#]*)?';
    case ';':
      return '(?:;[^/?#]*)?';
    default:
      return '[^/?#]*';
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
