/** Start-up failures a person must fix, with a stable string `code` (STYLE.md §8). */
export type GatewayErrorCode =
  | 'config_invalid'
  | 'config_unenforced'
  | 'host_not_loopback'
  | 'name_conflict'
  | 'listen_failed'
  | 'store_failed'
  | 'rules_invalid'
  | 'guards_refused';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;
  /** One line per problem, for the CLI to print. */
  readonly problems: readonly string[];

  constructor(code: GatewayErrorCode, message: string, problems: readonly string[] = [message]) {
    super(message);
    this.code = code;
    this.problems = problems;
  }
}
