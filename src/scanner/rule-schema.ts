/**
 * The rule file format (DESIGN.md §4 "Rules"): a YAML list of rules, each with its own examples. One strict zod
 * schema, so a misspelled key is an error with file and line, like the config.
 */
import { z } from 'zod';
import { VALIDATOR_TABLE } from './validators.js';

export const SURFACES = [
  'tool_args',
  'tool_result',
  'tool_description',
  'resource',
  'prompt',
  'message',
  'server_instructions',
  'sampling',
] as const;
export type Surface = (typeof SURFACES)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const NORMALIZERS = ['nfkc', 'casefold', 'strip_invisible', 'decode'] as const;
export type Normalizer = (typeof NORMALIZERS)[number];

export type ValidatorName = string;

const nonEmpty = (): z.ZodString => z.string().min(1, 'must not be empty');

const patternSchema = z.union([
  z.strictObject({ regex: nonEmpty() }),
  z.strictObject({ contains: nonEmpty() }),
]);

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}$/, 'ids look like PI-001 (upper-case words, a dash, three digits)'),
  name: nonEmpty(),
  category: z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'categories are kebab-case, e.g. prompt-injection'),
  severity: z.enum(SEVERITIES),
  /**
   * Severity on particular surfaces (our extension of the format), e.g. personal data that is only recorded when it
   * comes back in a tool result (reading a mailbox) but flagged when an agent sends it out.
   */
  severity_on: z.partialRecord(z.enum(SURFACES), z.enum(SEVERITIES)).optional(),
  surfaces: z.array(z.enum(SURFACES)).min(1, 'list at least one surface').default(() => [...SURFACES]),
  normalize: z.array(z.enum(NORMALIZERS)).default((): Normalizer[] => ['nfkc', 'casefold', 'strip_invisible', 'decode']),
  /**
   * Prefilter (our extension of the format): the rule runs on a string only when one of these occurs in it,
   * compared case-insensitively. `contains` patterns are their own keywords. Without keywords a regex rule runs on
   * every string of its surfaces.
   */
  keywords: z.array(nonEmpty()).optional(),
  patterns: z.array(patternSchema).min(1, 'list at least one pattern'),
  validate: z
    .string()
    .refine((name) => Object.hasOwn(VALIDATOR_TABLE, name), { message: `unknown validator; known: ${Object.keys(VALIDATOR_TABLE).join(', ')}` })
    .optional(),
  description: z.string().optional(),
  examples: z.strictObject({
    match: z.array(z.string()).min(1, 'every rule carries examples that must match'),
    no_match: z.array(z.string()).min(1, 'every rule carries examples that must not match'),
  }),
});

export const ruleFileSchema = z.array(
  ruleSchema.superRefine((rule, ctx) => {
    for (const surface of Object.keys(rule.severity_on ?? {})) {
      if (!rule.surfaces.includes(surface as Surface)) {
        ctx.addIssue({ code: 'custom', path: ['severity_on', surface], message: `${surface} is not one of this rule's surfaces` });
      }
    }
  }),
);

export type Rule = z.output<typeof ruleSchema>;
export type RulePattern = Rule['patterns'][number];
