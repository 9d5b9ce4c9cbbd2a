/**
 * The order of the pipeline (DESIGN.md §2), written down here and nowhere else (STYLE.md §2).
 *
 * Request stages, in order: limit-source → verify-signature → check-suspension → rate-limit → check-acl →
 * check-approval → scan-rules → run-guards → forward. Response stages: scan-rules → run-guards → return.
 * Each stage is one file under ./stages with a `create…Stage(options, deps)` factory; adding a stage is one line in
 * the list below plus its file. The stages arrive with their own issues; a config that asks for a check this build
 * does not run yet is refused at start-up (see config/unenforced.ts), never silently ignored.
 */
import type { Stage } from './types.js';

/** Everything stage factories may need; grows as stages arrive. */
export type StageDeps = Record<string, never>;

/** The request stages, in order. */
export function createRequestStages(_deps: StageDeps): readonly Stage[] {
  return [];
}

/** The response stages, in order. */
export function createResponseStages(_deps: StageDeps): readonly Stage[] {
  return [];
}
