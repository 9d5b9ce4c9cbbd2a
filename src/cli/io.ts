/** What a CLI command may touch: its output streams and environment. Commands never call process.exit. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Lines of standard input, for commands that read it (scan). */
  readonly lines?: () => AsyncIterable<string>;
}

/** Exit codes (DESIGN.md §4): 0 success, 1 a user error (each problem on its own line), 2 a usage error. */
export const EXIT = { ok: 0, userError: 1, usage: 2 } as const;

/** A usage error: bad flags or arguments. The CLI prints the message and the command's help, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
