/**
 * `${VAR}` and `${VAR:-default}` expansion. It runs on the string scalars of the parsed YAML document, never on the
 * raw text, so an environment value is only ever a string: it cannot add keys, lists or YAML syntax.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document } from 'yaml';
import { keyString } from './describe.js';
import type { PathSegment } from './describe.js';

/** The environment to expand from; passed in, so loading a config never depends on hidden process state. */
export type Env = Readonly<Record<string, string | undefined>>;

export type ExpandResult = { ok: true; value: string } | { ok: false; message: string };

/** A reference that could not be expanded, with the config path of the scalar that holds it. */
export interface EnvProblem {
  path: PathSegment[];
  message: string;
}

// `$${` is an escaped literal `${`; otherwise `${` opens a reference that runs to the next `}` (or is unterminated).
const TOKEN = /\$\$\{|\$\{([^}]*)(\}?)/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Expands the references in one string. `${VAR:-x}` uses x when VAR is unset or empty, as POSIX shells do. */
export function expandString(text: string, env: Env): ExpandResult {
  if (!text.includes('${')) return { ok: true, value: text };
  let failure: string | undefined;
  const value = text.replace(TOKEN, (token, body: string | undefined, close: string | undefined) => {
    if (token === '$${') return '${';
    const result = resolveReference(body ?? '', close === '}', env);
    if (typeof result === 'string') return result;
    failure ??= result.message;
    return token;
  });
  return failure === undefined ? { ok: true, value } : { ok: false, message: failure };
}

function resolveReference(body: string, closed: boolean, env: Env): string | { message: string } {
  if (!closed) return { message: `unterminated "\${${body}": close it with "}" (write "$\${" for a literal "\${")` };
  const match = REFERENCE.exec(body);
  if (!match) {
    return { message: `invalid reference "\${${body}}": expected \${NAME} or \${NAME:-default}` };
  }
  const [, name = '', fallback] = match;
  if (fallback?.includes('${')) return { message: `nested references are not supported in "\${${body}}"` };
  const value = env[name];
  if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
  if (value === undefined) return { message: `environment variable ${name} is not set (write \${${name}:-default})` };
  return value;
}

/**
 * Expands references in every string value of the document, in place. Map keys are left alone: they are names the
 * schema or the policy defines (agents, backends), and the environment should not be able to invent them.
 */
export function expandDocumentEnv(doc: Document, env: Env): EnvProblem[] {
  const problems: EnvProblem[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value, [...path, keyString(pair.key)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string') {
      const result = expandString(node.value, env);
      if (result.ok) node.value = result.value;
      else problems.push({ path, message: result.message });
    }
    // An alias needs nothing: it resolves to its anchored node, which is expanded where it is defined.
  };
  visit(doc.contents, []);
  return problems;
}
