import { describe, expect, it } from 'vitest';
import { configSchema, isLoopbackHost } from './schema.js';

// Written out in full so that a changed default is a deliberate, reviewed change (DESIGN.md §4 is the contract).
const DEFAULTS = {
  server: {
    host: '127.0.0.1',
    port: 8080,
    max_body_bytes: 4194304,
    allowed_origins: [],
    allowed_hosts: [],
    trusted_proxies: [],
    loopback_only: false,
  },
  admin: { host: '127.0.0.1', port: 8081, tokens: {} },
  mode: 'enforce',
  storage: { sqlite: './data/portcullis.db' },
  sessions: { max: 1000, idle_ttl_s: 3600 },
  tool_names: { prefix: 'always' },
  backends: {},
  identity: { keys_dir: './keys', require_signature: true, max_clock_skew_s: 60, rotation_grace_s: 86400 },
  default_policy: 'deny',
  agents: {},
  rate_limit: { requests: 600, window_s: 60, tools: {}, source: { requests: 1200, window_s: 60 } },
  approval: { require: [] },
  rules: {
    dirs: ['./rules'],
    overrides: [],
    max_scan_bytes: 8388608,
    oversize_action: 'block',
    escalation: { after: 3, window_s: 3600 },
  },
  guards: { dir: './guards', workers: 2 },
  quarantine: { hold_s: 30, approval_ttl_s: 600, expiry_h: 24, elicitation: false, max_pending_per_agent: 20 },
  messages: { ttl_s: 86400, max_per_inbox: 1000 },
  webhooks: [],
  audit: { retention_days: 30, max_payload_bytes: 65536 },
};

const stdio = { transport: 'stdio', command: 'node' };
const http = { transport: 'http', url: 'https://example.com/mcp' };

describe('configSchema', () => {
  it('fills every default from {}', () => {
    expect(configSchema.parse({})).toEqual(DEFAULTS);
  });

  it('fills nested defaults inside a partly written section', () => {
    const config = configSchema.parse({ rate_limit: { requests: 5 }, agents: { bot: {} } });
    expect(config.rate_limit).toEqual({ ...DEFAULTS.rate_limit, requests: 5 });
    expect(config.agents['bot']).toMatchObject({ allow: [], suspended: false });
    expect(config.agents['bot']).not.toHaveProperty('rate_limit');
  });

  it('fills backend defaults for each transport', () => {
    const config = configSchema.parse({ backends: { a: stdio, b: http } });
    expect(config.backends['a']).toEqual({ ...stdio, args: [], env: {}, per_session: false, roots: [], timeout_s: 60 });
    expect(config.backends['b']).toEqual({ ...http, headers: {}, roots: [], timeout_s: 60 });
  });

  it.each([
    ['a port as a decimal string (from ${VAR})', { server: { port: '9000' } }],
    ['a boolean as true/false (from ${VAR})', { identity: { require_signature: 'false' } }],
    ['a fractional timeout', { backends: { a: { ...stdio, timeout_s: 0.25 } } }],
    ['a backend id with digits and dashes', { backends: { 'files-2': stdio } }],
    ['an agent name with dots and underscores', { agents: { 'bot_v1.2': {} } }],
    ['IPv4, IPv6 and CIDR trusted proxies', { server: { trusted_proxies: ['10.0.0.1', '10.0.0.0/8', 'fd00::/8'] } }],
    ['a file:// root', { backends: { a: { ...http, roots: ['file:///srv/shared'] } } }],
    ['a 16-character admin token', { admin: { tokens: { 'ops.alice': '0123456789abcdef' } } }],
    ['a webhook', { webhooks: [{ url: 'https://h.example/x', events: ['blocked'], secret: 's' }] }],
    ['an override without tools', { rules: { overrides: [{ id: 'PI-001', action: 'record' }] } }],
  ])('accepts %s', (_name, input) => {
    expect(configSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { sever: {} }, []],
    ['an unknown nested key', { rules: { escalation: { afterr: 3 } } }, ['rules', 'escalation']],
    ['an unknown key in a backend', { backends: { a: { ...stdio, url: 'http://x' } } }, ['backends', 'a']],
    ['port 65536', { server: { port: 65536 } }, ['server', 'port']],
    ['port 65536', { admin: { port: 65536 } }, ['admin', 'port']],
    ['a non-integer count', { sessions: { max: 1.5 } }, ['sessions', 'max']],
    ['a number string with spaces', { server: { port: ' 80' } }, ['server', 'port']],
    ['a boolean spelled yes', { quarantine: { elicitation: 'yes' } }, ['quarantine', 'elicitation']],
    ['a backend id with _', { backends: { files_v2: stdio } }, ['backends', 'files_v2']],
    ['a backend id of 64 characters', { backends: { ['a'.repeat(64)]: stdio } }, ['backends', 'a'.repeat(64)]],
    [
      'an unknown transport',
      { backends: { a: { transport: 'sse', url: 'http://x' } } },
      ['backends', 'a', 'transport'],
    ],
    ['an empty command', { backends: { a: { ...stdio, command: '' } } }, ['backends', 'a', 'command']],
    ['an ftp URL', { backends: { a: { ...http, url: 'ftp://example.com' } } }, ['backends', 'a', 'url']],
    ['a relative URL', { backends: { a: { ...http, url: '/mcp' } } }, ['backends', 'a', 'url']],
    ['a root that is not file://', { backends: { a: { ...stdio, roots: ['/srv'] } } }, ['backends', 'a', 'roots', 0]],
    [
      'a header value with CRLF',
      { backends: { a: { ...http, headers: { X: 'a\r\nB: c' } } } },
      ['backends', 'a', 'headers', 'X'],
    ],
    [
      'a header name with a space',
      { backends: { a: { ...http, headers: { 'X Y': 'v' } } } },
      ['backends', 'a', 'headers', 'X Y'],
    ],
    ['a zero timeout', { backends: { a: { ...stdio, timeout_s: 0 } } }, ['backends', 'a', 'timeout_s']],
    ['a short admin token', { admin: { tokens: { alice: 'short' } } }, ['admin', 'tokens', 'alice']],
    ['a bad token name', { admin: { tokens: { 'a b': '0123456789abcdef' } } }, ['admin', 'tokens', 'a b']],
    ['an agent name with a slash', { agents: { 'a/b': {} } }, ['agents', 'a/b']],
    [
      'an agent rate limit without window',
      { agents: { a: { rate_limit: { requests: 1 } } } },
      ['agents', 'a', 'rate_limit', 'window_s'],
    ],
    [
      'an unknown override action',
      { rules: { overrides: [{ id: 'X', action: 'drop' }] } },
      ['rules', 'overrides', 0, 'action'],
    ],
    [
      'an empty override tool list',
      { rules: { overrides: [{ id: 'X', action: 'flag', tools: [] }] } },
      ['rules', 'overrides', 0, 'tools'],
    ],
    ['an unknown oversize action', { rules: { oversize_action: 'skip' } }, ['rules', 'oversize_action']],
    [
      'a webhook without events',
      { webhooks: [{ url: 'https://h/x', events: [], secret: 's' }] },
      ['webhooks', 0, 'events'],
    ],
    [
      'an unknown webhook event',
      { webhooks: [{ url: 'https://h/x', events: ['x'], secret: 's' }] },
      ['webhooks', 0, 'events', 0],
    ],
    ['a bad trusted proxy', { server: { trusted_proxies: ['10.0.0.0/33'] } }, ['server', 'trusted_proxies', 0]],
    ['a null section', { server: null }, ['server']],
    [
      'a non-loopback host under loopback_only',
      { server: { loopback_only: true, host: '0.0.0.0' } },
      ['server', 'host'],
    ],
  ])('rejects %s', (_name, input, path) => {
    const result = configSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toContainEqual(path);
  });

  it('explains why a backend id may not contain "_"', () => {
    const result = configSchema.safeParse({ backends: { a_b: stdio } });
    expect(JSON.stringify(result.error?.issues)).toContain('<backend>__<name>');
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.1', false],
    ['example.com', false],
    ['localhost.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
