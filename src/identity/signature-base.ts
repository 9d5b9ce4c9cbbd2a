/**
 * RFC 9421 HTTP Message Signatures: parsing `Signature-Input` / `Signature` and building the signature base (§2.5),
 * shared by the verifier and the signer so both sides build the same bytes.
 * Threat: a base that can be bent (injected lines, unknown components, unbounded input); how it fails: values.
 */
import {
  isInnerList,
  parseDictionary,
  serializeDictionary,
  serializeInnerList,
  type Dictionary,
  type InnerList,
  type Item,
  type Parameters,
} from 'structured-headers';

/** What every signature must cover (DESIGN.md §4); `content-digest` only when the request has a body. */
export const REQUIRED_COMPONENTS = ['@method', '@authority', '@path', '@query', 'content-digest'] as const;

/** Derived components this gateway can compute; any other `@…` name is refused. */
const DERIVED_COMPONENTS = new Set(['@method', '@authority', '@path', '@query']);
/** A lower-case HTTP field name (RFC 9110 token); RFC 9421 §2.1 requires lower case. */
const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Methods whose requests normally have no body: they need no `content-digest` when the body is empty. */
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'DELETE']);

/** Bounds on untrusted input, checked before any parsing work. */
export const SIGNATURE_LIMITS = { maxHeaderLength: 8192, maxLabels: 8, maxComponents: 32 } as const;

/** The parts of a request a signature can cover. Header names in `headers` are lower case. */
export interface MessageComponents {
  readonly method: string;
  /** Host and port as the client addressed it (`Host`, or the trusted proxy's forwarded host). */
  readonly authority: string;
  /** The request path as sent, percent-encoded, `/` when empty. */
  readonly path: string;
  /** `URL.search`: `''` or `?…`. */
  readonly query: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** One label of `Signature-Input` with its keyid (when it has a string one) and the matching `Signature` member. */
export interface SignatureCandidate {
  readonly label: string;
  readonly keyid: string | undefined;
  readonly input: Item | InnerList;
  readonly signature: Item | InnerList | undefined;
}

/** A well-formed signature: covered components, parameters, the serialized `@signature-params` and the bytes. */
export interface SignatureEntry {
  readonly label: string;
  readonly components: readonly string[];
  readonly params: Parameters;
  readonly paramsValue: string;
  readonly signature: Uint8Array;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Parses both headers as dictionaries and pairs their labels, in `Signature-Input` order. */
export function parseSignatureHeaders(signatureInput: string, signature: string): Parsed<SignatureCandidate[]> {
  const { maxHeaderLength, maxLabels } = SIGNATURE_LIMITS;
  if (signatureInput.length > maxHeaderLength || signature.length > maxHeaderLength) {
    return { ok: false, reason: 'signature headers too long' };
  }
  const inputs = parseDictionaryValue(signatureInput, 'Signature-Input');
  if (!inputs.ok) return inputs;
  const signatures = parseDictionaryValue(signature, 'Signature');
  if (!signatures.ok) return signatures;
  if (inputs.value.size === 0) return { ok: false, reason: 'Signature-Input has no labels' };
  if (inputs.value.size > maxLabels) return { ok: false, reason: `more than ${maxLabels} signature labels` };
  const candidates = [...inputs.value].map(([label, input]) => ({
    label,
    keyid: stringParam(input[1], 'keyid'),
    input,
    signature: signatures.value.get(label),
  }));
  return { ok: true, value: candidates };
}

/** Checks the structure of one candidate: an inner list of known, distinct components and a byte-sequence signature. */
export function readSignatureEntry(candidate: SignatureCandidate): Parsed<SignatureEntry> {
  const { label, input, signature } = candidate;
  if (!isInnerList(input)) return { ok: false, reason: `Signature-Input ${label} is not an inner list` };
  const bytes = signature && !isInnerList(signature) ? signature[0] : undefined;
  if (!(bytes instanceof ArrayBuffer))
    return { ok: false, reason: `Signature ${label} missing or not a byte sequence` };
  const components = readComponents(input[0]);
  if (!components.ok) return components;
  return {
    ok: true,
    value: {
      label,
      components: components.value,
      params: input[1],
      paramsValue: serializeInnerList(input),
      signature: new Uint8Array(bytes),
    },
  };
}

/** The `@signature-params` value (RFC 9421 §2.3): the serialized inner list of components with its parameters. */
export function serializeSignatureParams(components: readonly string[], params: Parameters): string {
  return serializeInnerList([components.map((name): Item => [name, new Map()]), params]);
}

/** The `Signature-Input` and `Signature` header values for one label. */
export function serializeSignatureHeaders(
  label: string,
  components: readonly string[],
  params: Parameters,
  signature: Uint8Array,
): { signatureInput: string; signature: string } {
  const inner: InnerList = [components.map((name): Item => [name, new Map()]), params];
  return {
    signatureInput: serializeDictionary(new Map([[label, inner]])),
    signature: serializeDictionary(new Map([[label, [new Uint8Array(signature), new Map()] as Item]])),
  };
}

/** The signature base (RFC 9421 §2.5): one `"name": value` line per component, then `@signature-params`, no final LF. */
export function buildSignatureBase(
  components: readonly string[],
  message: MessageComponents,
  paramsValue: string,
): Parsed<string> {
  const lines: string[] = [];
  for (const name of components) {
    const value = componentValue(name, message);
    if (value === undefined) return { ok: false, reason: `covered component ${name} is not in the request` };
    // A CR or LF would let one component forge the next line of the base.
    if (/[\r\n]/.test(value)) return { ok: false, reason: `covered component ${name} contains a line break` };
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${paramsValue}`);
  return { ok: true, value: lines.join('\n') };
}

/** The value of one component (RFC 9421 §2.1, §2.2), or undefined when the request lacks it. */
export function componentValue(name: string, message: MessageComponents): string | undefined {
  switch (name) {
    case '@method':
      return message.method;
    case '@authority':
      return message.authority.toLowerCase(); // §2.2.3: the host is normalized to lower case
    case '@path':
      return message.path === '' ? '/' : message.path;
    case '@query':
      return normalizeQuery(message.query);
    default:
      return name.startsWith('@') ? undefined : message.headers.get(name)?.trim();
  }
}

/** True when a request of this method and body size must cover `content-digest`. */
export function needsContentDigest(method: string, bodyLength: number): boolean {
  return bodyLength > 0 || !BODILESS_METHODS.has(method.toUpperCase());
}

/** Lower-cases header names; lines of one field that differ only in case are combined as RFC 9421 §2.1 says. */
export function lowerCaseHeaders(headers: Readonly<Record<string, string>>): Map<string, string> {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const before = lower.get(key);
    lower.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  return lower;
}

/** RFC 9421 §2.2.7: `?` followed by the query, or `?` alone when there is none. */
function normalizeQuery(query: string): string {
  if (query === '') return '?';
  return query.startsWith('?') ? query : `?${query}`;
}

function readComponents(items: readonly Item[]): Parsed<string[]> {
  if (items.length > SIGNATURE_LIMITS.maxComponents) {
    return { ok: false, reason: `more than ${SIGNATURE_LIMITS.maxComponents} covered components` };
  }
  const names: string[] = [];
  for (const [name, params] of items) {
    if (typeof name !== 'string') return { ok: false, reason: 'a covered component is not a string' };
    // ;sf ;key ;bs ;req ;tr change how a value is derived; none is needed here, so none is accepted.
    if (params.size > 0) return { ok: false, reason: `component parameters are not supported (${name})` };
    if (name.startsWith('@') ? !DERIVED_COMPONENTS.has(name) : !FIELD_NAME.test(name)) {
      return { ok: false, reason: `unsupported covered component ${JSON.stringify(name)}` };
    }
    if (names.includes(name)) return { ok: false, reason: `covered component ${name} listed twice` };
    names.push(name);
  }
  return { ok: true, value: names };
}

function parseDictionaryValue(value: string, header: string): Parsed<Dictionary> {
  try {
    return { ok: true, value: parseDictionary(value) };
  } catch {
    return { ok: false, reason: `${header} is not a structured-field dictionary` };
  }
}

function stringParam(params: Parameters, name: string): string | undefined {
  const value = params.get(name);
  return typeof value === 'string' ? value : undefined;
}
