/** What a post-match validator sees and answers (see validators.ts). */
export interface ValidatorInput {
  /** The matched text (capture group 1 when the pattern has one). */
  readonly match: string;
  /** The whole (normalized) string and where the match sits in it. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** true: the match is a real finding; false: drop it. */
export type Validator = (input: ValidatorInput) => boolean;
