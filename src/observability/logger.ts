/**
 * Structured logs: one JSON object a line on stderr (machine-readable for operators' log pipelines). The start-up
 * banner that a person reads goes to stdout through the CLI, not through this logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Longest single field value written; longer strings are cut, so hostile input cannot flood the log. */
const MAX_FIELD_CHARS = 2_000;

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly write: (line: string) => void;
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions, base: Record<string, unknown> = {}): Logger {
  const threshold = RANK[options.level];
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < threshold) return;
    const line = { ts: new Date().toISOString(), level, msg, ...base, ...bound(fields) };
    options.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, `--quiet`). */
export function createSilentLogger(): Logger {
  return createLogger({ level: 'error', write: () => undefined }, {});
}

function bound(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = value.message.slice(0, MAX_FIELD_CHARS);
    else if (typeof value === 'string' && value.length > MAX_FIELD_CHARS) out[key] = `${value.slice(0, MAX_FIELD_CHARS)}…`;
    else out[key] = value;
  }
  return out;
}

/** Parses a `PORTCULLIS_LOG_LEVEL`-style value. */
export function parseLogLevel(text: string | undefined, fallback: LogLevel): LogLevel {
  return text !== undefined && text in RANK ? (text as LogLevel) : fallback;
}
