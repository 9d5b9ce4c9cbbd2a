/**
 * The guard ABI's checks on what a guard hands back: a decision is hostile input, so every bound and every refusal
 * is pinned here with the message an operator will see in the guard's failure.
 */
import { describe, expect, it } from 'vitest';
import { type GuardPhase, OUTPUT_LIMITS, type Redaction, applyRedactions, parseDecision, parseDescription, parsePointer } from './abi.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const decide = (value: unknown): ReturnType<typeof parseDecision> => parseDecision(utf8(JSON.stringify(value)));
const allowWith = (fields: Record<string, unknown>): ReturnType<typeof parseDecision> => decide({ decision: 'allow', ...fields });
/** A well-formed redaction of `[start, end)` at `path`. */
const span = (path: string, start: number, end: number, replacement = '*'): Redaction => ({ path, start, end, replacement });
const tokens = (n: number): string[] => Array.from({ length: n }, (_, i) => `l${i}`);

describe('parseDecision', () => {
  it('accepts a bare decision and fills in empty labels and redactions, without code or reason keys', () => {
    const parsed = decide({ decision: 'allow' });
    expect(parsed).toEqual({ ok: true, value: { decision: 'allow', labels: [], redactions: [] } });
    // No `code: undefined` keys: the decision is spread into audit rows as is.
    expect(parsed.ok && Object.keys(parsed.value)).toEqual(['decision', 'labels', 'redactions']);
  });

  it.each(['allow', 'deny', 'quarantine'])('accepts decision %s', (decision) => {
    expect(decide({ decision })).toMatchObject({ ok: true, value: { decision } });
  });

  it('keeps code, reason, labels and redactions, and defaults a replacement to [redacted]', () => {
    const parsed = decide({
      decision: 'deny',
      code: 'pii.email',
      reason: 'Zoë says no',
      labels: ['seen', 'pii'],
      redactions: [{ path: '/arguments/q', start: 1, end: 3 }, { path: '/arguments/q', start: 5, end: 6, replacement: '' }],
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        decision: 'deny',
        code: 'pii.email',
        reason: 'Zoë says no',
        labels: ['seen', 'pii'],
        redactions: [span('/arguments/q', 1, 3, '[redacted]'), span('/arguments/q', 5, 6, '')],
      },
    });
  });

  it('drops fields outside the ABI rather than passing them on', () => {
    const parsed = decide({ decision: 'allow', extra: { big: 'x'.repeat(100) }, redactions: [{ path: '/arguments/q', start: 0, end: 1, note: 'x' }] });
    expect(parsed).toEqual({ ok: true, value: { decision: 'allow', labels: [], redactions: [span('/arguments/q', 0, 1, '[redacted]')] } });
  });

  describe('output size', () => {
    const padded = (bytes: number): Uint8Array => utf8('{"decision":"allow"}'.padEnd(bytes, ' '));

    it('accepts exactly 64 KiB (trailing JSON whitespace counts)', () => {
      expect(padded(OUTPUT_LIMITS.bytes).byteLength).toBe(65_536);
      expect(parseDecision(padded(OUTPUT_LIMITS.bytes)).ok).toBe(true);
    });

    it('refuses one byte more before parsing it', () => {
      expect(parseDecision(padded(OUTPUT_LIMITS.bytes + 1))).toEqual({ ok: false, message: 'output is 65537 bytes (limit 65536)' });
    });
  });

  describe('encoding and shape', () => {
    it.each([
      ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
      ['no output at all', new Uint8Array()],
      ['text that is not JSON', utf8('allow')],
      ['truncated JSON', utf8('{"decision":"allow"')],
    ])('refuses %s', (_name, bytes) => {
      const parsed = parseDecision(bytes);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.message).toMatch(/^output is not UTF-8 JSON: /);
    });

    it.each([['null'], ['[{"decision":"allow"}]'], ['"allow"'], ['42']])('refuses %s, which is not an object', (text) => {
      expect(parseDecision(utf8(text))).toEqual({ ok: false, message: 'output is not a JSON object' });
    });

    it.each([[{}], [{ decision: 'maybe' }], [{ decision: 'ALLOW' }], [{ decision: 1 }], [{ decision: null }], [{ decision: ['allow'] }]])(
      'refuses an unknown decision: %j',
      (value) => {
        expect(decide(value)).toEqual({ ok: false, message: 'decision must be allow, deny or quarantine' });
      },
    );
  });

  describe('identifiers (codes and labels)', () => {
    // Codes and labels land in audit rows, metric labels and other guards' input.
    const valid = ['a', '0', 'pii.email:v2-x_y', `a${'b'.repeat(63)}`];
    const invalid: unknown[] = ['', 'Upper', '-lead', '_lead', '.lead', `a${'b'.repeat(64)}`, 'has space', 'tab\t', 'abc\n', 'zoë', 'a/b', 42, null, ['a']];

    it.each(valid)('accepts code %j', (code) => {
      expect(allowWith({ code })).toMatchObject({ ok: true, value: { code } });
    });

    it.each(invalid)('refuses code %j', (code) => {
      expect(allowWith({ code })).toEqual({ ok: false, message: 'code must match [a-z0-9][a-z0-9_.:-]{0,63}' });
    });

    it.each(valid)('accepts label %j', (label) => {
      expect(allowWith({ labels: [label] })).toMatchObject({ ok: true, value: { labels: [label] } });
    });

    it.each(invalid)('refuses label %j', (label) => {
      expect(allowWith({ labels: ['fine', label] })).toEqual({ ok: false, message: 'labels must be at most 32 identifiers' });
    });

    it('accepts 32 labels and refuses 33', () => {
      expect(allowWith({ labels: tokens(OUTPUT_LIMITS.labels) })).toMatchObject({ ok: true, value: { labels: tokens(32) } });
      expect(allowWith({ labels: tokens(OUTPUT_LIMITS.labels + 1) })).toEqual({ ok: false, message: 'labels must be at most 32 identifiers' });
    });

    it.each([['a string', 'seen'], ['null', null], ['an object', { seen: true }]])('refuses labels that are %s', (_name, labels) => {
      expect(allowWith({ labels })).toEqual({ ok: false, message: 'labels must be at most 32 identifiers' });
    });
  });

  describe('reason', () => {
    const refused = { ok: false, message: 'reason must be a string of at most 512 characters' };

    it('accepts 512 characters and refuses 513', () => {
      expect(allowWith({ reason: 'r'.repeat(OUTPUT_LIMITS.reasonChars) })).toMatchObject({ ok: true, value: { reason: 'r'.repeat(512) } });
      expect(allowWith({ reason: 'r'.repeat(OUTPUT_LIMITS.reasonChars + 1) })).toEqual(refused);
    });

    it.each([[42], [null], [['why']], [{ text: 'why' }]])('refuses a reason of %j', (reason) => {
      expect(allowWith({ reason })).toEqual(refused);
    });
  });

  describe('redactions', () => {
    const ok = { path: '/arguments/q', start: 0, end: 1 };
    const many = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ path: '/arguments/q', start: i, end: i + 1 }));

    it('accepts 256 redactions and refuses 257', () => {
      const parsed = allowWith({ redactions: many(OUTPUT_LIMITS.redactions) });
      expect(parsed.ok && parsed.value.redactions).toHaveLength(256);
      expect(allowWith({ redactions: many(OUTPUT_LIMITS.redactions + 1) })).toEqual({ ok: false, message: 'redactions must be a list of at most 256' });
    });

    it.each([[null], [ok], ['/arguments/q']])('refuses redactions that are not a list: %j', (redactions) => {
      expect(allowWith({ redactions })).toEqual({ ok: false, message: 'redactions must be a list of at most 256' });
    });

    it.each([
      ['a string', '/arguments/q', 'a redaction must be an object'],
      ['a list', ['/arguments/q', 0, 1], 'a redaction must be an object'],
      ['null', null, 'a redaction must be an object'],
      ['without a path', { start: 0, end: 1 }, 'a redaction path must be a JSON pointer'],
      ['with a relative path', { ...ok, path: 'arguments/q' }, 'a redaction path must be a JSON pointer'],
      ['with an empty path', { ...ok, path: '' }, 'a redaction path must be a JSON pointer'],
      ['with a numeric path', { ...ok, path: 7 }, 'a redaction path must be a JSON pointer'],
      ['without offsets', { path: '/arguments/q' }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with a negative start', { ...ok, start: -1 }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with end before start', { ...ok, start: 3, end: 2 }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with a fractional offset', { ...ok, end: 1.5 }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with string offsets', { ...ok, start: '0' }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with an unsafe integer', { ...ok, end: 2 ** 53 }, 'a redaction needs integer offsets with 0 <= start <= end'],
      ['with a null replacement', { ...ok, replacement: null }, 'a replacement must be a string of at most 256 characters'],
      ['with a numeric replacement', { ...ok, replacement: 0 }, 'a replacement must be a string of at most 256 characters'],
      ['with a 257-character replacement', { ...ok, replacement: 'x'.repeat(257) }, 'a replacement must be a string of at most 256 characters'],
    ])('refuses the whole decision for one redaction %s', (_name, redaction, message) => {
      expect(allowWith({ redactions: [ok, redaction] })).toEqual({ ok: false, message });
    });

    it('accepts an empty span and a 256-character replacement', () => {
      const parsed = allowWith({ redactions: [{ ...ok, start: 4, end: 4, replacement: 'x'.repeat(OUTPUT_LIMITS.replacementChars) }] });
      expect(parsed).toMatchObject({ ok: true, value: { redactions: [span('/arguments/q', 4, 4, 'x'.repeat(256))] } });
    });
  });
});

describe('applyRedactions', () => {
  const envelope = (): Record<string, unknown> => ({
    phase: 'request',
    call_id: 'c1',
    arguments: { path: '/tmp/secret.txt', count: 3, flag: true, none: null, obj: {}, list: ['alpha', 'beta'], 'a/b': 'slash', 'm~n': 'tilde' },
    result: { content: [{ type: 'text', text: 'hello world' }] },
    tools: [{ name: 'read_file', description: 'Reads a file' }],
  });
  /** Applies to a fresh envelope; returns the outcome and the envelope afterwards. */
  const apply = (phase: GuardPhase, ...redactions: Redaction[]): { outcome: ReturnType<typeof applyRedactions>; after: Record<string, unknown> } => {
    const after = envelope();
    return { outcome: applyRedactions(after, phase, redactions), after };
  };

  describe('what each phase may rewrite', () => {
    it.each([
      ['request', '/arguments/path', { arguments: { ...(envelope().arguments as object), path: '*tmp/secret.txt' } }],
      ['response', '/result/content/0/text', { result: { content: [{ type: 'text', text: '*ello world' }] } }],
      ['tools_list', '/tools/0/description', { tools: [{ name: 'read_file', description: '*eads a file' }] }],
    ] as const)('a %s guard redacts under its payload (%s) and nothing else changes', (phase, path, changed) => {
      const { outcome, after } = apply(phase, span(path, 0, 1));
      expect(outcome).toEqual({ ok: true, value: 1 });
      expect(after).toEqual({ ...envelope(), ...changed });
    });

    it.each([
      ['request', '/result/content/0/text', 'a request guard may only redact under /arguments (got /result/content/0/text)'],
      ['request', '/tools/0/description', 'a request guard may only redact under /arguments (got /tools/0/description)'],
      ['request', '/call_id', 'a request guard may only redact under /arguments (got /call_id)'],
      ['request', '/argumentsX/path', 'a request guard may only redact under /arguments (got /argumentsX/path)'],
      ['request', 'arguments/path', 'a request guard may only redact under /arguments (got arguments/path)'],
      ['response', '/arguments/path', 'a response guard may only redact under /result (got /arguments/path)'],
      ['tools_list', '/result/content/0/text', 'a tools_list guard may only redact under /tools (got /result/content/0/text)'],
    ] as const)('a %s guard may not redact %s', (phase, path, message) => {
      const { outcome, after } = apply(phase, span(path, 0, 1));
      expect(outcome).toEqual({ ok: false, message });
      expect(after).toEqual(envelope());
    });
  });

  describe('offsets', () => {
    it('counts UTF-16 code units: an emoji is two', () => {
      const after = { arguments: { s: 'a😀b', t: 'é😀é' } };
      expect(applyRedactions(after, 'request', [span('/arguments/s', 1, 3), span('/arguments/t', 1, 3, '[x]')])).toEqual({ ok: true, value: 2 });
      expect(after.arguments).toEqual({ s: 'a*b', t: 'é[x]é' });
    });

    it('does not check code point boundaries: a span may split a surrogate pair', () => {
      // Documents current behaviour: the host trusts the guard's offsets, so half an emoji can be left behind.
      const after = { arguments: { s: 'a😀b' } };
      expect(applyRedactions(after, 'request', [span('/arguments/s', 1, 2)]).ok).toBe(true);
      expect(after.arguments.s).toBe('a*\uDE00b');
    });

    it('accepts a span ending exactly at the end, and an empty span as an insertion', () => {
      const { outcome, after } = apply('request', span('/arguments/path', 15, 15, '!'), span('/arguments/list/1', 0, 4, 'B'));
      expect(outcome).toEqual({ ok: true, value: 2 });
      expect(after.arguments).toMatchObject({ path: '/tmp/secret.txt!', list: ['alpha', 'B'] });
    });

    it('refuses a span past the end of the string', () => {
      const { outcome, after } = apply('request', span('/arguments/path', 10, 16));
      expect(outcome).toEqual({ ok: false, message: 'redaction 10-16 is past the end of /arguments/path' });
      expect(after).toEqual(envelope());
    });
  });

  describe('several redactions in one decision', () => {
    it('applies spans of one string from the end, so every offset refers to the text the guard read', () => {
      const after = { arguments: { text: 'mail alice@example.com or bob@example.org now' } };
      // Given in reading order, with replacements of a different length than what they replace.
      const outcome = applyRedactions(after, 'request', [span('/arguments/text', 5, 22, '<email>'), span('/arguments/text', 26, 41, '<e>')]);
      expect(outcome).toEqual({ ok: true, value: 2 });
      expect(after.arguments.text).toBe('mail <email> or <e> now');
    });

    it('accepts adjacent spans and spans of different strings', () => {
      const { outcome, after } = apply('request', span('/arguments/path', 0, 4, 'A'), span('/arguments/path', 4, 5, 'B'), span('/arguments/list/0', 0, 5, 'C'));
      expect(outcome).toEqual({ ok: true, value: 3 });
      expect(after.arguments).toMatchObject({ path: 'ABsecret.txt', list: ['C', 'beta'] });
    });

    it.each([
      ['overlapping spans', [span('/arguments/path', 0, 5), span('/arguments/path', 3, 8)]],
      ['the same span twice', [span('/arguments/path', 2, 6), span('/arguments/path', 2, 6)]],
      ['a span inside another', [span('/arguments/path', 1, 10), span('/arguments/path', 4, 5)]],
      ['overlapping spans among others', [span('/arguments/list/0', 0, 1), span('/arguments/path', 8, 12), span('/arguments/path', 0, 9)]],
    ])('refuses %s before touching anything', (_name, redactions) => {
      const { outcome, after } = apply('request', ...redactions);
      expect(outcome).toEqual({ ok: false, message: 'overlapping redactions at /arguments/path' });
      expect(after).toEqual(envelope());
    });

    it('refuses as a whole: a valid redaction before an invalid one is not applied either', () => {
      const { outcome, after } = apply('request', span('/arguments/path', 0, 4, 'X'), span('/arguments/nope', 0, 1));
      expect(outcome).toEqual({ ok: false, message: 'no string at /arguments/nope' });
      expect(after).toEqual(envelope());
    });

    it('orders spans with the same start the same way whatever order they came in', () => {
      const forward = apply('request', span('/arguments/path', 0, 0, '<'), span('/arguments/path', 0, 4, 'X'));
      const backward = apply('request', span('/arguments/path', 0, 4, 'X'), span('/arguments/path', 0, 0, '<'));
      expect(forward.outcome).toEqual({ ok: true, value: 2 });
      expect(backward).toEqual(forward);
      expect(forward.after.arguments).toMatchObject({ path: '<X/secret.txt' });
    });

    it('accepts an empty list', () => {
      expect(apply('request')).toEqual({ outcome: { ok: true, value: 0 }, after: envelope() });
    });
  });

  describe('targets', () => {
    it('follows RFC 6901 escapes in keys', () => {
      const { outcome, after } = apply('request', span('/arguments/a~1b', 0, 1, 'S'), span('/arguments/m~0n', 0, 1, 'T'));
      expect(outcome).toEqual({ ok: true, value: 2 });
      expect(after.arguments).toMatchObject({ 'a/b': 'Slash', 'm~n': 'Tilde' });
    });

    it('refuses an inherited string property, even on an envelope that is not a plain JSON clone', () => {
      const after = { arguments: Object.create({ inherited: 'text' }) as Record<string, unknown> };
      expect(applyRedactions(after, 'request', [span('/arguments/inherited', 0, 1)])).toEqual({ ok: false, message: 'no string at /arguments/inherited' });
      expect(Object.keys(after.arguments)).toEqual([]);
    });

    it.each([
      ['a number', '/arguments/count'],
      ['a boolean', '/arguments/flag'],
      ['null', '/arguments/none'],
      ['an object', '/arguments/obj'],
      ['a list', '/arguments/list'],
      ['the whole payload', '/arguments'],
      ['a missing key', '/arguments/nope'],
      ['a key below a missing key', '/arguments/nope/deeper'],
      ['a key below a string', '/arguments/path/length'],
      ['a character of a string (strings have no members)', '/arguments/path/0'],
      ['an index past the end', '/arguments/list/2'],
      ['an index with a leading zero', '/arguments/list/01'],
      ['the append index', '/arguments/list/-'],
      ['a list property', '/arguments/list/length'],
      ['an inherited property', '/arguments/toString'],
      ['the prototype', '/arguments/__proto__'],
      ['a key of the prototype', '/arguments/constructor/name'],
      ['a key with an unescaped slash', '/arguments/a/b'],
    ])('refuses a redaction of %s', (_name, path) => {
      const { outcome, after } = apply('request', span(path, 0, 0));
      expect(outcome).toEqual({ ok: false, message: `no string at ${path}` });
      expect(after).toEqual(envelope());
    });
  });
});

describe('parsePointer', () => {
  it.each([
    ['/a/~1b/0', ['a', '/b', '0']],
    ['/', ['']],
    ['/a//b', ['a', '', 'b']],
    ['/~0~1/x', ['~/', 'x']],
    // ~1 is unescaped before ~0, so `~01` is a literal `~1`, not `/`.
    ['/~01', ['~1']],
    ['/a b/ü', ['a b', 'ü']],
  ])('splits %j into %j', (pointer, expected) => {
    expect(parsePointer(pointer)).toEqual(expected);
  });

  it.each(['', 'a/b', '#/a', ' /a'])('refuses %j, which does not start with /', (pointer) => {
    expect(parsePointer(pointer)).toBeUndefined();
  });

  // Without this, `/a~` and `/a~0` could name one key in two spellings and slip past the overlap check.
  it.each(['/a~', '/~2', '/a~b/c', '/x/~'])('refuses %j, whose ~ is not ~0 or ~1', (pointer) => {
    expect(parsePointer(pointer)).toBeUndefined();
  });
});

describe('parseDescription', () => {
  const describeAs = (value: unknown): ReturnType<typeof parseDescription> => parseDescription(utf8(JSON.stringify(value)));
  const valid = { abi: 'mcp-guard/1', name: 'pii-redact', version: '1.2.0', phases: ['request', 'response'] };

  it('accepts a description and keeps only the ABI fields', () => {
    expect(describeAs({ ...valid, config_schema: { type: 'object' }, extra: 1 })).toEqual({
      ok: true,
      value: { ...valid, config_schema: { type: 'object' } },
    });
  });

  it.each([
    ['is too large', utf8(JSON.stringify(valid).padEnd(OUTPUT_LIMITS.bytes + 1, ' ')), 'guard_describe output is too large'],
    ['is not UTF-8', new Uint8Array([0xff]), 'guard_describe did not write UTF-8 JSON'],
    ['is empty', new Uint8Array(), 'guard_describe did not write UTF-8 JSON'],
    ['is a list', utf8('[]'), 'guard_describe did not write a JSON object'],
    ['names another ABI', utf8(JSON.stringify({ ...valid, abi: 'mcp-guard/2' })), 'guard_describe says abi "mcp-guard/2", expected "mcp-guard/1"'],
    ['names no ABI', utf8(JSON.stringify({ ...valid, abi: undefined })), 'guard_describe says abi undefined, expected "mcp-guard/1"'],
    ['has no name', utf8(JSON.stringify({ ...valid, name: undefined })), 'guard_describe needs a name and a version'],
    ['has a numeric version', utf8(JSON.stringify({ ...valid, version: 1 })), 'guard_describe needs a name and a version'],
    ['has an unknown phase', utf8(JSON.stringify({ ...valid, phases: ['request', 'tools'] })), 'guard_describe phases must be a list of request, response, tools_list'],
    ['has phases as a string', utf8(JSON.stringify({ ...valid, phases: 'request' })), 'guard_describe phases must be a list of request, response, tools_list'],
  ])('refuses output that %s', (_name, bytes, message) => {
    expect(parseDescription(bytes)).toEqual({ ok: false, message });
  });

  it('accepts exactly 64 KiB', () => {
    expect(parseDescription(utf8(JSON.stringify(valid).padEnd(OUTPUT_LIMITS.bytes, ' '))).ok).toBe(true);
  });
});
