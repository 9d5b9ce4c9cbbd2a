/**
 * The one schema of `portcullis.yaml` (DESIGN.md §4 "Config"). Every object is strict, so a misspelled key is an
 * error, and every key carries its default here; the defaults are the secure ones (signatures required, default deny).
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** Backend ids: no `_`, because tools are namespaced `<backend>__<name>` and the gateway must split that unambiguously. */
export const BACKEND_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const MIN_ADMIN_TOKEN_CHARS = 16;

// RFC 9110 token: what a header name may be.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// CR/LF in a header value would split the request (header injection); NUL breaks spawn() for env values.
const NO_LINE_BREAK = /^[^\r\n\0]*$/;
const ENV_NAME = /^[^=\0]+$/;
const NO_NUL = /^[^\0]*$/;

// `${VAR}` expansion always yields a string (env.ts), so a number or boolean key also accepts the plain decimal or
// true/false string that spells one: `port: ${PORT}` works. Nothing looser: "", " 1", "0x10", "yes" stay errors.
const DECIMAL = /^-?\d+(\.\d+)?$/;
const fromDecimal = (value: unknown): unknown =>
  typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
const fromBooleanWord = (value: unknown): unknown => (value === 'true' ? true : value === 'false' ? false : value);

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(fromDecimal, z.number().int().min(min).max(max));
const positiveNumber = () => z.preprocess(fromDecimal, z.number().positive());
const bool = () => z.preprocess(fromBooleanWord, z.boolean());
const nonEmpty = () => z.string().min(1, 'must not be empty');
const strings = () => z.array(nonEmpty()).default(() => []);

const ACTIONS = ['ignore', 'record', 'flag', 'quarantine', 'block'] as const;
const WEBHOOK_EVENTS = ['blocked', 'quarantined', 'approved', 'rejected', 'agent_suspended'] as const;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for `localhost`, 127.0.0.0/8 and ::1 (brackets allowed): the hosts `server.loopback_only` permits. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

function isIpOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const httpUrl = () => z.string().refine((v) => hasProtocol(v, ['http:', 'https:']), 'must be an http: or https: URL');
const fileUri = z
  .string()
  .refine((v) => v.startsWith('file://') && hasProtocol(v, ['file:']), 'a root must be a file:// URI');
const windowLimit = z.strictObject({ requests: int(1), window_s: int(1) });
const action = z.enum(ACTIONS);

const serverSchema = z.strictObject({
  host: nonEmpty().default('127.0.0.1'),
  port: int(0, 65535).default(8080),
  max_body_bytes: int(1).default(4_194_304),
  allowed_origins: strings(),
  allowed_hosts: strings(),
  trusted_proxies: z
    .array(z.string().refine(isIpOrCidr, 'must be an IP address or CIDR range (e.g. 10.0.0.0/8)'))
    .default(() => []),
  // Ours: the shipped demo config relaxes security, so it refuses to listen anywhere but loopback.
  loopback_only: bool().default(false),
});

const adminSchema = z.strictObject({
  host: nonEmpty().default('127.0.0.1'),
  port: int(0, 65535).default(8081),
  tokens: z
    .record(
      z.string().regex(TOKEN_NAME, 'a token name must be 1-64 letters, digits, "_", "." or "-"'),
      z.string().min(MIN_ADMIN_TOKEN_CHARS, `an admin token must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`),
    )
    .default(() => ({})),
});

const backendCommon = {
  roots: z.array(fileUri).default(() => []),
  timeout_s: positiveNumber().default(60),
};

const stdioBackendSchema = z.strictObject({
  transport: z.literal('stdio'),
  command: nonEmpty(),
  args: z.array(z.string()).default(() => []),
  env: z
    .record(
      z.string().regex(ENV_NAME, 'an environment variable name must be non-empty, without "="'),
      z.string().regex(NO_NUL, 'an environment value must not contain NUL'),
    )
    .default(() => ({})),
  // Ours: the process's working directory; the loader sets it to the config file's directory when absent.
  cwd: nonEmpty().optional(),
  per_session: bool().default(false),
  ...backendCommon,
});

const httpBackendSchema = z.strictObject({
  transport: z.literal('http'),
  url: httpUrl(),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, 'not a valid HTTP header name'),
      z.string().regex(NO_LINE_BREAK, 'a header value must not contain line breaks or NUL'),
    )
    .default(() => ({})),
  ...backendCommon,
});

const backendSchema = z.discriminatedUnion('transport', [stdioBackendSchema, httpBackendSchema], {
  error: 'transport must be "stdio" or "http"',
});

const backendId = z
  .string()
  .regex(
    BACKEND_ID,
    'a backend id must be 1-63 letters, digits or "-" (no "_": tools are namespaced <backend>__<name>)',
  );

const agentSchema = z.strictObject({
  allow: strings(),
  deny: strings(),
  can_message: strings(),
  blocked_categories: strings(),
  rate_limit: windowLimit.optional(),
  approval: strings(),
  suspended: bool().default(false),
});

const agentName = z.string().regex(AGENT_NAME, 'an agent name must be 1-64 letters, digits, "_", "." or "-"');

const rateLimitSchema = z.strictObject({
  requests: int(1).default(600),
  window_s: int(1).default(60),
  tools: z.record(nonEmpty(), windowLimit).default(() => ({})),
  source: z.strictObject({ requests: int(1).default(1200), window_s: int(1).default(60) }).prefault({}),
});

const overrideSchema = z.strictObject({
  id: nonEmpty(),
  action,
  tools: z.array(nonEmpty()).min(1, 'list at least one tool glob, or leave tools out').optional(),
});

const rulesSchema = z.strictObject({
  dirs: z.array(nonEmpty()).default(() => ['./rules']),
  overrides: z.array(overrideSchema).default(() => []),
  max_scan_bytes: int(1).default(8_388_608),
  oversize_action: action.default('block'),
  escalation: z.strictObject({ after: int(1).default(3), window_s: int(1).default(3600) }).prefault({}),
});

const webhookSchema = z.strictObject({
  // fetch refuses credentials in a URL, and they would end up in logs: a receiver authenticates by the signature.
  url: httpUrl().refine((v) => !/^[a-z]+:\/\/[^/?#]*@/i.test(v), 'must not carry credentials (user:password@); receivers check X-Portcullis-Signature'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, 'list at least one event'),
  secret: nonEmpty(),
});

// `.prefault({})` (not `.default({})`): zod 4 returns a default as is, while a prefault is parsed, which fills the
// nested defaults.
export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    admin: adminSchema.prefault({}),
    mode: z.enum(['enforce', 'observe']).default('enforce'),
    storage: z.strictObject({ sqlite: nonEmpty().default('./data/portcullis.db') }).prefault({}),
    sessions: z.strictObject({ max: int(1).default(1000), idle_ttl_s: int(1).default(3600) }).prefault({}),
    tool_names: z.strictObject({ prefix: z.enum(['always', 'on_conflict', 'never']).default('always') }).prefault({}),
    backends: z.record(backendId, backendSchema).default(() => ({})),
    identity: z
      .strictObject({
        keys_dir: nonEmpty().default('./keys'),
        require_signature: bool().default(true),
        max_clock_skew_s: int(1).default(60),
        rotation_grace_s: int(0).default(86_400),
      })
      .prefault({}),
    default_policy: z.enum(['deny', 'allow']).default('deny'),
    agents: z.record(agentName, agentSchema).default(() => ({})),
    rate_limit: rateLimitSchema.prefault({}),
    approval: z.strictObject({ require: strings() }).prefault({}),
    rules: rulesSchema.prefault({}),
    guards: z
      .strictObject({
        dir: nonEmpty().default('./guards'),
        /** Worker threads that run guard chains (each hosts every guard). */
        workers: int(1, 16).default(2),
      })
      .prefault({}),
    quarantine: z
      .strictObject({
        hold_s: int(0).default(30),
        approval_ttl_s: int(1).default(600),
        expiry_h: int(1).default(24),
        elicitation: bool().default(false),
        max_pending_per_agent: int(1).default(20),
      })
      .prefault({}),
    messages: z.strictObject({ ttl_s: int(1).default(86_400), max_per_inbox: int(1).default(1000) }).prefault({}),
    webhooks: z.array(webhookSchema).default(() => []),
    audit: z
      .strictObject({ retention_days: int(1).default(30), max_payload_bytes: int(0).default(65_536) })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (!config.server.loopback_only) return;
    for (const listener of ['server', 'admin'] as const) {
      const { host } = config[listener];
      if (isLoopbackHost(host)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [listener, 'host'],
        message: `server.loopback_only is set, so ${host} is refused: use 127.0.0.1, ::1 or localhost`,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type BackendConfig = Config['backends'][string];
export type StdioBackendConfig = Extract<BackendConfig, { transport: 'stdio' }>;
export type HttpBackendConfig = Extract<BackendConfig, { transport: 'http' }>;
export type AgentConfig = Config['agents'][string];
export type RuleAction = (typeof ACTIONS)[number];
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
