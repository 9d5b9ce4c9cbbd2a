/**
 * Policy globs over `<backend>/<original name>` (DESIGN.md §1, §4): bare globs select tools, `prompt:` prompts and
 * `resource:` resources (`resource:files/file:///srv/shared/**`). One parser for every list that names targets:
 * `agents.*.allow|deny|approval`, `approval.require`, `rate_limit.tools` (and later `rules.overrides[].tools`).
 *
 * picomatch options, and why:
 * - `/` is the separator, as in file globs: `*` and `?` never cross it, `**` does. So `everything/*` is every tool
 *   of `everything` but not the resource `everything/test://static/1`; `resource:everything/**` is.
 *   `x/**` also matches `x` itself (a deny of `file:///srv/secret/**` covers the directory's own URI).
 * - `windows: false`: `\` is never a separator, on every platform, so a policy means the same everywhere.
 * - `dot: true`: a leading `.` is an ordinary character. Without it `deny: ["files/file:///srv/**"]` would not match
 *   `file:///srv/.env`, a silent hole in a deny list. (`.` and `..` as whole segments still never match a wildcard,
 *   and non-canonical URIs are handled before matching anyway: see canonical-uri.ts.)
 * - `strictBrackets: true`: an unbalanced `[`, `(` or `{` is an error at load instead of silently matching literally.
 * - Case-sensitive: tool names and URI paths are case-sensitive on the backends that matter.
 * Refused at load, because they read one way and match another: a leading `!` (picomatch negates the whole glob:
 * in an allow list `!files/delete_*` would allow everything else; use deny) and `[!…]` (picomatch reads it as a
 * class containing `!`, not a negated one; write `[^…]`).
 */
import picomatch from 'picomatch';
import { type PathSegment, formatPath } from '../config/describe.js';
import { nonCanonicalReason } from './canonical-uri.js';

export type TargetKind = 'tool' | 'prompt' | 'resource';

/** What a policy decides about: a tool, prompt or resource of one backend, by its original (un-prefixed) name. */
export interface PolicyTarget {
  readonly backend: string;
  readonly kind: TargetKind;
  /** Original tool or prompt name, or the resource URI. */
  readonly name: string;
}

/** One compiled glob, with the config path that names it (for audit details: `agents.bob.deny[0]`). */
export interface TargetGlob {
  readonly kind: TargetKind;
  /** The glob as written, prefix included. */
  readonly source: string;
  /** Config path of the glob. */
  readonly rule: string;
  /** Tests `<backend>/<name>`. */
  readonly test: (subject: string) => boolean;
}

/** A glob that did not compile, at its config path. */
export interface GlobProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** How a glob list is used: `permit` lists grant (allow), `restrict` lists take away or add checks (deny, approval, limits). */
export type MatchMode = 'permit' | 'restrict';

/** Which glob of a list matched a target, and whether only because the URI could not be matched reliably. */
export interface GlobMatch {
  readonly glob: TargetGlob;
  /** Set when the target is a non-canonical resource URI, matched by a restricting glob without testing it. */
  readonly nonCanonical?: string;
}

export const GLOB_OPTIONS = { dot: true, windows: false, strictBrackets: true } as const;

const PREFIXES: readonly (readonly [string, TargetKind])[] = [
  ['prompt:', 'prompt'],
  ['resource:', 'resource'],
];

/** Compiles one target glob, or returns why it cannot be compiled. */
export function compileTargetGlob(source: string, rule: string): TargetGlob | { readonly error: string } {
  const [prefix, kind] = PREFIXES.find(([p]) => source.startsWith(p)) ?? ['', 'tool' as const];
  const glob = source.slice(prefix.length);
  const error = shapeError(glob);
  if (error) return { error };
  try {
    const test = picomatch(glob, GLOB_OPTIONS);
    return { kind, source, rule, test: (subject) => test(subject) };
  } catch (cause) {
    return { error: `not a valid glob: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}

function shapeError(glob: string): string | undefined {
  if (glob === '') return 'empty glob';
  if (glob.startsWith('!')) return 'a leading "!" is not supported: put the pattern under deny instead';
  if (glob.includes('[!')) return '"[!…]" does not negate here: write "[^…]"';
  const slash = glob.indexOf('/');
  if (slash < 0 && glob !== '**') return 'a glob names <backend>/<name>, e.g. files/read_* (or "**" for everything)';
  // Backend ids never contain ":", so a ":" before the first "/" can only be a misspelled prefix.
  if (glob.slice(0, slash < 0 ? undefined : slash).includes(':')) {
    return 'unknown prefix: use "prompt:", "resource:" or none (tools)';
  }
  return undefined;
}

/** Compiles every glob of `list` (at config path `path`), adding any that fail to `problems`. */
export function compileTargetGlobs(
  list: readonly string[],
  path: readonly PathSegment[],
  problems: GlobProblem[],
): readonly TargetGlob[] {
  const globs: TargetGlob[] = [];
  list.forEach((source, index) => {
    const at = [...path, index];
    const compiled = compileTargetGlob(source, formatPath(at));
    if ('error' in compiled) problems.push({ path: at, message: compiled.error });
    else globs.push(compiled);
  });
  return globs;
}

/** The string a glob is tested against. */
export function subjectOf(target: PolicyTarget): string {
  return `${target.backend}/${target.name}`;
}

/**
 * The first glob of `globs` that matches `target`. A non-canonical resource URI matches no `permit` glob and the
 * first `restrict` glob of its kind: text matching cannot say what the backend will resolve it to, so fail closed.
 */
export function findMatch(globs: readonly TargetGlob[], target: PolicyTarget, mode: MatchMode): GlobMatch | undefined {
  const nonCanonical = target.kind === 'resource' ? nonCanonicalReason(target.name) : undefined;
  const subject = subjectOf(target);
  for (const glob of globs) {
    if (glob.kind !== target.kind) continue;
    if (nonCanonical === undefined) {
      if (glob.test(subject)) return { glob };
    } else if (mode === 'restrict') {
      return { glob, nonCanonical };
    }
  }
  return undefined;
}

/**
 * The policy target of a routed message, or undefined when it has none the policy speaks about (no target, or a
 * whole-backend target). Structural, so this module needs nothing from the pipeline.
 */
export function policyTargetOf(
  target: { readonly backend: string; readonly kind: string; readonly name: string } | undefined,
): PolicyTarget | undefined {
  if (!target) return undefined;
  const { backend, kind, name } = target;
  return kind === 'tool' || kind === 'prompt' || kind === 'resource' ? { backend, kind, name } : undefined;
}
