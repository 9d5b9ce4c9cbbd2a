/**
 * What a caller may send to /v1/messages, checked before anything runs: the JSON body of a send and the query of a
 * read. Every problem is a value naming the field, for a 400 (or 413) the caller can act on; nothing here is secret.
 */
import { isAgentName } from '../identity/key-files.js';

/**
 * Most UTF-8 bytes the stored part of a message (`content` and `metadata`, as JSON) may take. A constant rather than
 * `audit.max_payload_bytes`: raising how much of a payload the audit log keeps must not raise what an agent may push
 * into another's inbox. Equal to that setting's default, so by default a send's audit row holds the whole message.
 * With `messages.max_per_inbox` (default 1000) it bounds an inbox at about 64 MB.
 */
export const MAX_MESSAGE_BYTES = 65_536;
/** Deepest nesting of arrays and objects in `content` or `metadata`; deeper JSON would overflow JSON.stringify. */
export const MAX_MESSAGE_DEPTH = 64;
/** Most messages one read returns (and the largest `limit` accepted). */
export const MAX_READ_LIMIT = 100;

const SEND_FIELDS = new Set(['to', 'content', 'metadata', 'from']);
const READ_PARAMS = new Set(['after', 'limit']);
/** A cursor is a message id: a canonical decimal integer (no sign, no leading zeros, no exponent). */
const CURSOR = /^(0|[1-9][0-9]{0,15})$/;
const LIMIT = /^[1-9][0-9]{0,2}$/;

export interface SendInput {
  readonly to: string;
  /** Any JSON value. */
  readonly content: unknown;
  readonly metadata: Record<string, unknown> | null;
  /** The sender the caller names; must equal the sender the gateway establishes. */
  readonly from: string | undefined;
}

export interface ReadInput {
  /** Messages with an id above this; 0 reads from the start. */
  readonly after: number;
  readonly limit: number;
}

/** Why an input was refused: `parse_error` (not JSON), `invalid` (a field is wrong), `too_large` (see above). */
export type InputProblem = { readonly problem: 'parse_error' | 'invalid' | 'too_large'; readonly message: string };
export type Checked<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & InputProblem);

const invalid = (message: string): { ok: false } & InputProblem => ({ ok: false, problem: 'invalid', message });

/** Parses and checks the body of `POST /v1/messages`: `{to, content, metadata?, from?}` and nothing else. */
export function parseSendBody(text: string): Checked<SendInput> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'parse_error', message: 'Parse error: body is not valid JSON' };
  }
  if (!isPlainObject(body)) return invalid('Invalid message: the body must be a JSON object {to, content, metadata?}');
  const unknown = Object.keys(body).filter((key) => !SEND_FIELDS.has(key));
  if (unknown.length > 0) return invalid(`Invalid message: unknown field ${JSON.stringify(unknown[0])}`);
  const { to, content, metadata, from } = body;
  if (typeof to !== 'string' || !isAgentName(to)) {
    return invalid('Invalid message: "to" must be an agent name (1-64 letters, digits, "_", "." or "-")');
  }
  if (!('content' in body)) return invalid('Invalid message: "content" is required (any JSON value)');
  if (metadata !== undefined && !isPlainObject(metadata))
    return invalid('Invalid message: "metadata" must be an object');
  if (from !== undefined && typeof from !== 'string') return invalid('Invalid message: "from" must be a string');
  if (depthOf(content) > MAX_MESSAGE_DEPTH || depthOf(metadata) > MAX_MESSAGE_DEPTH) {
    return invalid(`Invalid message: "content" and "metadata" may nest at most ${MAX_MESSAGE_DEPTH} levels`);
  }
  const bytes = jsonBytes(content) + (metadata === undefined ? 0 : jsonBytes(metadata));
  if (bytes > MAX_MESSAGE_BYTES) {
    return {
      ok: false,
      problem: 'too_large',
      message: `Message too large: content and metadata take ${bytes} bytes as JSON, at most ${MAX_MESSAGE_BYTES} are allowed`,
    };
  }
  return { ok: true, value: { to, content, metadata: metadata ?? null, from } };
}

/** Checks the query of `GET /v1/messages`: `after` (a cursor) and `limit` (1..100), each at most once. */
export function parseReadQuery(search: URLSearchParams): Checked<ReadInput> {
  for (const name of new Set(search.keys())) {
    if (!READ_PARAMS.has(name)) return invalid(`Invalid query: unknown parameter ${JSON.stringify(name.slice(0, 64))}`);
    if (search.getAll(name).length > 1) return invalid(`Invalid query: "${name}" given more than once`);
  }
  const after = search.get('after') ?? '0';
  if (!CURSOR.test(after) || !Number.isSafeInteger(Number(after))) {
    return invalid('Invalid query: "after" must be a cursor from next_cursor (a non-negative integer)');
  }
  const limit = search.get('limit') ?? String(MAX_READ_LIMIT);
  if (!LIMIT.test(limit) || Number(limit) > MAX_READ_LIMIT) {
    return invalid(`Invalid query: "limit" must be an integer from 1 to ${MAX_READ_LIMIT}`);
  }
  return { ok: true, value: { after: Number(after), limit: Number(limit) } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nesting depth of a parsed JSON value (a scalar is 0), without recursion: hostile input may nest deeply. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    // One level past the limit is enough to refuse.
    if (deepest > MAX_MESSAGE_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
