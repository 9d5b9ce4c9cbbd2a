/**
 * Guard manifests (`<name>.guard.yaml`): strict keys with their line, bounds an operator cannot raise, and the size
 * limits on the file and on the config handed to the guard.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../config/describe.js';
import { MANIFEST_LIMITS, parseManifestText } from './manifest.js';

const FILE = 'guards/pii.guard.yaml';
const parse = (text: string): ReturnType<typeof parseManifestText> => parseManifestText(text, FILE);
/** A manifest named `pii` with the given extra lines. */
const manifest = (...lines: string[]): string => ['name: pii', ...lines, ''].join('\n');
const DEFAULTS = { name: 'pii', priority: 100, failure_mode: 'fail_closed', timeout_ms: 50, max_memory_mb: 16, host_functions: [], config: {} };

describe('parseManifestText', () => {
  describe('valid manifests', () => {
    it('fills in the defaults for a manifest that only names the guard', () => {
      const parsed = parse(manifest());
      expect(parsed).toEqual({ manifest: DEFAULTS, problems: [] });
      // No phases key: the module's exports decide.
      expect(parsed.manifest && 'phases' in parsed.manifest).toBe(false);
    });

    it('keeps every field that is set, and lower-cases the sha256 pin', () => {
      const text = manifest(
        'priority: -5',
        'phases: [request, tools_list]',
        'failure_mode: fail_open',
        'timeout_ms: 200',
        'max_memory_mb: 64',
        `sha256: ${'AbC0'.repeat(16)}`,
        'config:',
        '  patterns: [email, iban]',
        '  nested: { depth: 2 }',
      );
      expect(parse(text)).toEqual({
        manifest: {
          ...DEFAULTS,
          priority: -5,
          phases: ['request', 'tools_list'],
          failure_mode: 'fail_open',
          timeout_ms: 200,
          max_memory_mb: 64,
          sha256: 'abc0'.repeat(16),
          config: { patterns: ['email', 'iban'], nested: { depth: 2 } },
        },
        problems: [],
      });
    });

    it('reads JSON too (YAML 1.2 is a superset), which is how the test helpers write manifests', () => {
      expect(parse('{"name": "pii", "priority": 7}\n')).toEqual({ manifest: { ...DEFAULTS, priority: 7 }, problems: [] });
    });
  });

  describe('unknown keys', () => {
    it('refuses a misspelled key with file, line and column, and suggests the key it was meant to be', () => {
      const { manifest: parsed, problems } = parse(manifest('priority: 3', 'failure-mode: fail_open'));
      expect(parsed).toBeUndefined();
      expect(problems).toEqual([
        { file: FILE, line: 3, column: 1, path: 'failure-mode', message: 'unknown key "failure-mode" (did you mean "failure_mode"?)' },
      ]);
      expect(problems.map(formatProblem)).toEqual([`${FILE}:3:1: failure-mode: unknown key "failure-mode" (did you mean "failure_mode"?)`]);
    });

    it('reports each unknown key at its own line, without a suggestion when nothing is close', () => {
      expect(parse(manifest('network: true', '  # a comment', 'wasi: [fd_write]')).problems).toEqual([
        { file: FILE, line: 2, column: 1, path: 'network', message: 'unknown key "network"' },
        { file: FILE, line: 4, column: 1, path: 'wasi', message: 'unknown key "wasi"' },
      ]);
    });
  });

  describe('types and values', () => {
    it.each([
      ['name: 42', 1, 7, 'name', 'Invalid input: expected string, received number'],
      ['name: Pii Guard', 1, 7, 'name', 'a name is lower-case letters, digits and _.:- (at most 64)'],
      ['name: pii\npriority: high', 2, 11, 'priority', 'Invalid input: expected number, received string'],
      ['name: pii\npriority: "5"', 2, 11, 'priority', 'Invalid input: expected number, received string'],
      ['name: pii\nfailure_mode: open', 2, 15, 'failure_mode', 'Invalid option: expected one of "fail_closed"|"fail_open"'],
      ['name: pii\nhost_functions: guard_log', 2, 17, 'host_functions', 'Invalid input: expected array, received string'],
      ['name: pii\nconfig: [1, 2]', 2, 9, 'config', 'Invalid input: expected record, received array'],
      ['name: pii\nconfig: text', 2, 9, 'config', 'Invalid input: expected record, received string'],
      ['name: pii\nsha256: abc', 2, 9, 'sha256', 'sha256 is 64 hex digits'],
      [`name: pii\nsha256: ${'g'.repeat(64)}`, 2, 9, 'sha256', 'sha256 is 64 hex digits'],
    ])('refuses %j at its line', (text, line, column, path, message) => {
      expect(parse(`${text}\n`)).toEqual({ problems: [{ file: FILE, line, column, path, message }] });
    });

    it('refuses a manifest without a name, pointing at the document', () => {
      expect(parse('priority: 1\n').problems).toEqual([{ file: FILE, line: 1, column: 1, path: 'name', message: 'missing required key "name"' }]);
    });

    it.each([
      ['a list', '- name: pii\n', 'Invalid input: expected object, received array'],
      ['a scalar', 'pii\n', 'Invalid input: expected object, received string'],
    ])('refuses a document that is %s', (_name, text, message) => {
      expect(parse(text).problems).toEqual([{ file: FILE, line: 1, column: 1, path: '', message }]);
    });
  });

  describe('bounds', () => {
    // What an operator may write; the upper bounds are MANIFEST_LIMITS, which a manifest cannot raise.
    it.each([
      ['priority', -1_000_000],
      ['priority', 1_000_000],
      ['priority', 0],
      ['timeout_ms', 1],
      ['timeout_ms', MANIFEST_LIMITS.timeoutMs],
      ['max_memory_mb', 1],
      ['max_memory_mb', MANIFEST_LIMITS.maxMemoryMb],
    ])('accepts %s: %d', (key, value) => {
      expect(parse(manifest(`${key}: ${value}`))).toEqual({ manifest: { ...DEFAULTS, [key]: value }, problems: [] });
    });

    it.each([
      ['priority', '-1000001', 'Too small: expected number to be >=-1000000'],
      ['priority', '1000001', 'Too big: expected number to be <=1000000'],
      ['priority', '1.5', 'Invalid input: expected int, received number'],
      ['timeout_ms', '0', 'Too small: expected number to be >=1'],
      ['timeout_ms', String(MANIFEST_LIMITS.timeoutMs + 1), 'Too big: expected number to be <=5000'],
      ['timeout_ms', '50.5', 'Invalid input: expected int, received number'],
      ['timeout_ms', '.inf', 'Invalid input: expected number, received Infinity'],
      ['max_memory_mb', '0', 'Too small: expected number to be >=1'],
      ['max_memory_mb', String(MANIFEST_LIMITS.maxMemoryMb + 1), 'Too big: expected number to be <=256'],
      ['max_memory_mb', '-16', 'Too small: expected number to be >=1'],
    ])('refuses %s: %s', (key, value, message) => {
      expect(parse(manifest(`${key}: ${value}`))).toEqual({ problems: [{ file: FILE, line: 2, column: key.length + 3, path: key, message }] });
    });
  });

  describe('host_functions', () => {
    it('accepts an empty grant', () => {
      expect(parse(manifest('host_functions: []')).manifest?.host_functions).toEqual([]);
    });

    it.each(['http_request', 'guard_log', 'guard_now_ms'])('refuses a grant of %s: none beyond the base ones exist', (name) => {
      expect(parse(manifest(`host_functions: [${name}]`)).problems).toEqual([
        { file: FILE, line: 2, column: 18, path: 'host_functions[0]', message: 'is not a host function this gateway offers' },
      ]);
    });

    it('refuses each entry of a list at its own position', () => {
      expect(parse(manifest('host_functions:', '  - a', '  - b')).problems).toEqual([
        { file: FILE, line: 3, column: 5, path: 'host_functions[0]', message: 'is not a host function this gateway offers' },
        { file: FILE, line: 4, column: 5, path: 'host_functions[1]', message: 'is not a host function this gateway offers' },
      ]);
    });
  });

  describe('phases', () => {
    it.each([[['request']], [['response']], [['tools_list']], [['request', 'response', 'tools_list']]])('accepts %j', (phases) => {
      expect(parse(manifest(`phases: ${JSON.stringify(phases)}`)).manifest?.phases).toEqual(phases);
    });

    it.each([
      ['[]', 9, 'phases', 'Too small: expected array to have >=1 items'],
      ['request', 9, 'phases', 'Invalid input: expected array, received string'],
      ['[request, reply]', 19, 'phases[1]', 'Invalid option: expected one of "request"|"response"|"tools_list"'],
      ['[Request]', 10, 'phases[0]', 'Invalid option: expected one of "request"|"response"|"tools_list"'],
    ])('refuses phases: %s', (value, column, path, message) => {
      expect(parse(manifest(`phases: ${value}`)).problems).toEqual([{ file: FILE, line: 2, column, path, message }]);
    });
  });

  describe('size limits', () => {
    /** ASCII text padded with a trailing comment to exactly `chars` characters. */
    const sized = (chars: number): string => {
      const text = manifest('# ');
      return text.slice(0, -1) + 'x'.repeat(chars - text.length) + '\n';
    };

    it('accepts a manifest of exactly the limit and refuses one byte more, before parsing it', () => {
      expect(sized(MANIFEST_LIMITS.manifestBytes)).toHaveLength(131_072);
      expect(parse(sized(MANIFEST_LIMITS.manifestBytes))).toEqual({ manifest: DEFAULTS, problems: [] });
      expect(parse(sized(MANIFEST_LIMITS.manifestBytes + 1))).toEqual({ problems: [{ file: FILE, path: '', message: 'is over 131072 bytes' }] });
    });

    it('counts the limits in UTF-8 bytes, not characters', () => {
      // 'é' is one UTF-16 unit and two UTF-8 bytes: a text within the limit in characters is over it in bytes.
      const wide = `${manifest()}# ${'é'.repeat(MANIFEST_LIMITS.manifestBytes / 2)}\n`;
      expect(wide.length).toBeLessThan(MANIFEST_LIMITS.manifestBytes);
      expect(parse(wide)).toEqual({ problems: [{ file: FILE, path: '', message: 'is over 131072 bytes' }] });
      const config = manifest('config:', `  k: ${'é'.repeat(MANIFEST_LIMITS.configBytes / 2)}`);
      expect(parse(config)).toMatchObject({ problems: [{ path: 'config', message: 'is over 65536 bytes as JSON' }] });
    });

    it('accepts a config of exactly the limit as JSON and refuses one byte more, at the config', () => {
      const withConfig = (valueChars: number): string => manifest('config:', `  k: ${'v'.repeat(valueChars)}`);
      const exact = MANIFEST_LIMITS.configBytes - JSON.stringify({ k: '' }).length;
      expect(parse(withConfig(exact)).manifest?.config).toEqual({ k: 'v'.repeat(exact) });
      expect(parse(withConfig(exact + 1))).toEqual({ problems: [{ file: FILE, line: 3, column: 3, path: 'config', message: 'is over 65536 bytes as JSON' }] });
    });
  });

  describe('YAML that does not parse', () => {
    it.each([
      ['a reserved character', manifest('priority: 1', 'config: @bad', 'timeout_ms: 5'), 3, 9, 'Plain value cannot start with reserved character @'],
      ['a duplicate key', manifest('priority: 1', 'priority: 2'), 3, 1, 'Map keys must be unique'],
      ['a tab for indentation', manifest('config:', '\tk: v'), 3, 1, 'Tabs are not allowed as indentation'],
      // The parser notices where the sequence should have ended: the start of the next line.
      ['an unclosed flow sequence', manifest('phases: [request', 'priority: 1'), 3, 1, 'Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ])('reports %s with its line', (_name, text, line, column, message) => {
      expect(parse(text).problems[0]).toEqual({ file: FILE, line, column, path: '', message });
    });

    // These parse, but fail when converted to plain data, so there is no line to report.
    it.each([
      [
        'an alias bomb, instead of expanding it',
        manifest('a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'config: { c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b] }'),
        'Excessive alias count indicates a resource exhaustion attack',
      ],
      ['an alias to no anchor', manifest('config: *nothing'), 'Unresolved alias (the anchor must be set before the alias): nothing'],
    ])('reports %s', (_name, text, message) => {
      expect(parse(text)).toEqual({ problems: [{ file: FILE, path: '', message }] });
    });
  });

  describe('empty files', () => {
    it.each([['an empty file', ''], ['only a comment', '# nothing here\n'], ['only whitespace', '\n\n   \n']])(
      'refuses %s as a manifest without a name (and without a line: there is nothing to point at)',
      (_name, text) => {
        expect(parse(text)).toEqual({ problems: [{ file: FILE, path: 'name', message: 'missing required key "name"' }] });
      },
    );
  });
});
