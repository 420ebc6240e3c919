import { isIP } from 'node:net';
import { z } from 'zod';
import { BUS_PREFIX_PATTERN } from '@wiz/contracts';

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .default(def ? 'true' : 'false')
    .transform((v) => (v === '' ? def : ['true', '1', 'yes'].includes(v)));
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

// Every variable Wiz reads, with its description and default. Parsed once at boot.
export const ConfigSchema = z.object({
  PORT: int(8080, 0, 65535).describe('HTTP port of the gateway (and of /health on the runtime)'),
  HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('interface to listen on (`0.0.0.0` for every interface: then authentication is on)'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('log level'),
  WIZ_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('where the embedded SQLite file and an auto-started NATS keep data'),
  DATABASE_URL: z
    .string()
    .default('')
    .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'must be empty (embedded SQLite) or a postgres:// URL')
    .describe('Postgres URL; empty means the embedded SQLite file <WIZ_DATA_DIR>/wiz.sqlite'),
  WIZ_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lower-case SQL identifier')
    .default('public')
    .describe('Postgres schema holding the tables (created if missing)'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222').describe('NATS server(s), comma separated'),
  WIZ_NATS_AUTOSTART: bool(true).describe(
    'start a local nats-server (if on PATH) when nothing answers at a loopback NATS_URL',
  ),
  WIZ_BUS_PREFIX: z
    .string()
    .regex(BUS_PREFIX_PATTERN, 'lower-case letters, digits, "_" or "-", starting with a letter, at most 32')
    .default('wiz')
    .describe('prefix of every subject, stream, consumer and KV bucket'),
  WIZ_MAILBOX_PARTITIONS: int(16, 1, 1024).describe(
    'mailbox partitions (one durable consumer each); fixed once agents exist',
  ),
  WIZ_MAILBOX_MAX_ACK_PENDING: int(10_000, 1, 100_000).describe(
    'mailbox commands a partition may hold in flight (running or waiting in actors)',
  ),
  WIZ_ADMIT_MAX_LAG_MS: int(25, 0, 10_000).describe(
    'a runtime starts another job only while its event loop runs at most this late (ms); the others wait in the mailbox, in order, so requests and streams stay served under a burst (0: start every job at once)',
  ),
  WIZ_AGENT_PREFETCH: int(8, 1, 1_000).describe(
    "commands an agent's actor holds waiting; its further queued jobs wait in the store",
  ),
  WIZ_AGENT_STATE_CACHE_MB: int(64, 0, 65_536).describe(
    "memory a runtime may use to keep its agents' long-term memory between their jobs (least recently used out first; 0: read it for every job)",
  ),
  WIZ_JOB_ACK_WAIT_MS: int(30_000, 1_000, 3_600_000).describe(
    "time after which a dead runtime's job is run elsewhere (mailbox ack wait and job lease)",
  ),
  WIZ_MAX_QUEUED_PER_AGENT: int(1_000, 1, 10_000_000).describe(
    'jobs one agent may have waiting to start (queued, delayed or waiting on dependencies); more are refused with 429',
  ),
  WIZ_MAX_QUEUED_PER_OWNER: int(10_000, 1, 100_000_000).describe(
    "jobs one owner's agents may have waiting to start, together; more are refused with 429",
  ),
  WIZ_MAX_KEYS_PER_OWNER: int(100, 1, 1_000_000).describe(
    'API keys (not revoked) one owner may hold; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_AGENTS_PER_OWNER: int(1_000, 1, 10_000_000).describe(
    'agents (not deleted) one owner may hold; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_SCHEDULES_PER_OWNER: int(1_000, 1, 10_000_000).describe(
    'cron schedules one owner may hold; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_WEBHOOKS_PER_OWNER: int(100, 1, 1_000_000).describe(
    'webhooks one owner may hold; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_MCP_SERVERS_PER_OWNER: int(100, 1, 1_000_000).describe(
    'MCP servers one owner may register; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_PROVIDERS_PER_OWNER: int(100, 1, 1_000_000).describe(
    'model providers one owner may hold; more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_PROJECTS_PER_OWNER: int(1_000, 1, 10_000_000).describe(
    'projects one owner may hold (deleting one frees its slot); more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_CONVERSATIONS_PER_OWNER: int(100_000, 1, 100_000_000).describe(
    'conversations (DMs and channels) one owner may hold (deleting one frees its slot); more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_PARTICIPANTS_PER_CONVERSATION: int(1_000, 2, 1_000_000).describe(
    'people and agents in one channel (a DM has two); more are refused with 429 `quota_exceeded`',
  ),
  WIZ_MAX_MEMORY_ITEMS_PER_AGENT: int(10_000, 1, 10_000_000).describe(
    "items in one agent's memory (its owner's bound is this times WIZ_MAX_AGENTS_PER_OWNER); more are refused with 429 `quota_exceeded`, or a tool error to the model",
  ),
  WIZ_JOB_MAX_DELIVER: int(5, 1, 100).describe(
    'runs of one job a dead runtime may lose (crash or kill mid-run) before the job fails',
  ),
  WIZ_SHUTDOWN_GRACE_MS: int(50_000, 0, 3_600_000).describe(
    "on SIGTERM, how long running jobs may finish before they are handed back (keep it under the pod's terminationGracePeriodSeconds)",
  ),
  WIZ_STALLED_SWEEP_MS: int(5_000, 200, 86_400_000).describe(
    "how often every runtime sweeps the store for stalled jobs (a dead runtime's lapsed leases, queued jobs no mailbox command will bring)",
  ),
  WIZ_STORE_UPKEEP_MS: int(5_000, 0, 86_400_000).describe(
    "Postgres only, where autovacuum is off (on the server or on Wiz's tables): how often a runtime vacuums and analyses Wiz's own tables, as autovacuum would (0: never)",
  ),
  WIZ_JETSTREAM_REPLICAS: int(1, 1, 5).describe(
    'replicas of the streams and KV buckets (3 on a NATS cluster); a minimum: more set by an operator are kept',
  ),
  WIZ_KEEP_COMPLETED: int(10_000, 0, 100_000_000).describe('completed jobs kept (the newest); older ones are deleted'),
  WIZ_KEEP_COMPLETED_HOURS: int(168, 1, 24 * 3650).describe('completed jobs older than this are deleted'),
  WIZ_KEEP_FAILED: int(10_000, 0, 100_000_000).describe('failed and cancelled jobs kept (the newest)'),
  WIZ_KEEP_FAILED_HOURS: int(720, 1, 24 * 3650).describe('failed and cancelled jobs older than this are deleted'),
  WIZ_OUTBOX_STUCK_MS: int(60_000, 1_000, 86_400_000).describe(
    '/health answers 503 when a bus message has waited this long in the outbox unpublished',
  ),
  WIZ_OUTBOX_CLAIM_MS: int(1_500, 100, 600_000).describe(
    "how long a process's claim on the bus messages it committed lasts unless renewed: another process publishes a dead process's messages after it",
  ),
  WIZ_OUTBOX_SWEEP_MS: int(500, 50, 600_000).describe(
    'how often each process looks for bus messages whose claim lapsed (a dead process left them unpublished)',
  ),
  WIZ_EVENTS_MAX_AGE_HOURS: int(168, 1, 24 * 365).describe('how long lifecycle events stay replayable'),
  WIZ_AUTH: z
    .enum(['auto', 'on', 'off'])
    .default('auto')
    .describe(
      'API-key authentication: `auto` is off when HOST is a loopback address and on otherwise; `off` is refused unless HOST is loopback',
    ),
  WIZ_ADMIN_KEY: z
    .string()
    .default('')
    .refine((v) => v === '' || v.length >= 32, 'must be at least 32 characters (use `openssl rand -hex 32`)')
    .describe('an admin API key registered (hashed) at start, to create the first keys; secret'),
  WIZ_CORS_ORIGINS: z
    .string()
    .default('')
    .describe('origins allowed by CORS, comma separated (`*` for any); empty: no CORS headers'),
  WIZ_MAX_BODY_BYTES: int(512 * 1024, 1024, 16 * 1024 * 1024).describe(
    'largest REST request body (413 above); keep it under the NATS max_payload (1 MiB by default)',
  ),
  WIZ_RATE_LIMIT_PER_MIN: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe(
      'REST requests per minute per API key (per client address when auth is off), counted across all gateways; empty: 600 with authentication on, no limit with it off; 0: no limit',
    ),
  WIZ_AUTH_FAILURES_PER_MIN: int(30, 0, 1_000_000).describe(
    'failed authentications one client address may make in a minute (REST, SSE, WebSocket; all gateways together) before it gets 429 for the rest of the minute; 0: no limit',
  ),
  WIZ_TRUST_PROXY: z
    .string()
    .default('')
    .refine(
      (v) => /^\s*(true|false|\d+)?\s*$/.test(v) || v.split(',').every((p) => isProxyEntry(p.trim())),
      '`true`, a hop count, or addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`, comma separated',
    )
    .describe(
      "proxies whose X-Forwarded-For names the client (Express's `trust proxy`): `true`, a hop count, or addresses/CIDRs/`loopback`/`uniquelocal`, comma separated; empty: the client is the TCP peer",
    ),
  WIZ_WS_MAX_FRAME_BYTES: int(64 * 1024, 256, 16 * 1024 * 1024).describe('largest WebSocket frame a client may send'),
  WIZ_WS_FRAMES_PER_SEC: int(20, 1, 100_000).describe(
    'frames per second a WebSocket client may send on average (over it: an `error` frame, then close 4429)',
  ),
  WIZ_WS_FRAME_BURST: int(100, 1, 1_000_000).describe('frames a WebSocket client may send at once above that rate'),
  WIZ_WS_MAX_BUFFERED_BYTES: int(8 * 1024 * 1024, 1024, 1024 * 1024 * 1024).describe(
    'unsent bytes a WebSocket client may fall behind before it is disconnected',
  ),
  WIZ_REPLAY_DRAIN_TIMEOUT_MS: int(30_000, 100, 600_000).describe(
    'how long a replay waits for a client to read what it was sent; then the client is cut off (WebSocket closed `too slow`, SSE stream ended) and its replay place freed',
  ),
  WIZ_MAX_REPLAYS_PER_KEY: int(4, 1, 1_000).describe(
    'replays (`since` on a WebSocket topic or an SSE stream) one API key may run at once on a gateway; more are refused (429)',
  ),
  WIZ_WS_PING_MS: int(30_000, 100, 600_000).describe(
    'interval of WebSocket pings; a client that misses one is disconnected',
  ),
  WIZ_EXECUTE_TIMEOUT_MS: int(30_000, 100, 600_000).describe(
    'default wait of POST /api/v1/agents/:id/execute before it answers 202 with the job',
  ),
  WIZ_CONVERSATION_CONTEXT_MESSAGES: int(20, 0, 500).describe(
    'recent messages of a conversation given to an agent with a new message; older ones are summarised',
  ),
  PATH: z.string().default('').describe('searched for nats-server when WIZ_NATS_AUTOSTART is on'),
  OPENAI_BASE_URL: z
    .url()
    .default('https://api.openai.com/v1')
    .describe('OpenAI-compatible endpoint (Ollama, vLLM, DeepSeek…)'),
  OPENAI_API_KEY: z.string().default('').describe('API key of that endpoint (secret: never logged or put on the bus)'),
  WIZ_DEFAULT_MODEL: z.string().min(1).default('gpt-4o-mini').describe('model used when an agent sets none'),
  WIZ_LLM_MAX_RETRIES: int(2, 0, 10).describe('retries of a model call on 408/409/429/5xx (with backoff)'),
  WIZ_EMBEDDING_MODEL: z
    .string()
    .min(1)
    .default('text-embedding-3-small')
    .describe("embedding model of the agent's endpoint, for memory_query by meaning"),
  WIZ_LLM_TIMEOUT_MS: int(120_000, 1_000, 3_600_000).describe('time limit of one model call'),
  WIZ_ALLOW_PRIVATE_URLS: bool(false).describe(
    "with authentication on, let tenants' provider URLs reach loopback, private and link-local addresses",
  ),
  WIZ_ALLOWED_PRIVATE_HOSTS: z
    .string()
    .default('')
    .describe("host names, addresses or CIDR ranges tenants' URLs may reach although private, comma separated"),
  WIZ_SECRET_KEY: z
    .string()
    .default('')
    .refine((v) => v === '' || v.length >= 32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)')
    .describe(
      'key that encrypts provider API keys at rest (AES-256-GCM); required with DATABASE_URL; empty (SQLite only): generated once into <WIZ_DATA_DIR>/secret.key',
    ),
  WIZ_AGENT_MAX_STEPS: int(20, 1, 1_000).describe('default budget: model steps per job (an agent may set its own)'),
  WIZ_AGENT_MAX_TOKENS: int(200_000, 100, 100_000_000).describe(
    'default budget: model tokens (input + output) per job',
  ),
  WIZ_AGENT_MAX_WALL_MS: int(600_000, 1_000, 86_400_000).describe('default budget: wall time of one run of a job'),
  WIZ_TOKEN_BATCH_MS: int(50, 0, 1_000).describe(
    'live token deltas of a job are sent at most this often (0: one event per model delta)',
  ),
  WIZ_LIVE_TOKENS: z
    .enum(['subscribed', 'always', 'never'])
    .default('subscribed')
    .describe(
      'when a model call streams its token deltas: `subscribed` (while a client follows the job, its agent or its conversation; otherwise the model answers in one response), `always`, `never`',
    ),
  WIZ_AGENT_MAX_ITERATIONS: int(3, 1, 20).describe('default budget: act → validate rounds per job'),
  WIZ_DELEGATION_MAX_DEPTH: int(4, 1, 50).describe(
    'delegation chains (a job, its child, their child…) are at most this many jobs deep',
  ),
  WIZ_DELEGATION_MAX_CHILDREN: int(8, 1, 1_000).describe('child jobs one job may create (delegations and sub-jobs)'),
  WIZ_ASK_TIMEOUT_SEC: int(120, 1, 86_400).describe(
    'ask_agent: how long the asking job waits for an answer when the model sets no timeout',
  ),
  WIZ_WEBHOOK_MAX_ATTEMPTS: int(8, 1, 100).describe('tries of one webhook delivery before it is marked failed'),
  WIZ_WEBHOOK_RETRY_MS: int(5_000, 10, 3_600_000).describe(
    'first wait before a failed webhook delivery is tried again; doubled each time (at most an hour)',
  ),
  WIZ_WEBHOOK_TIMEOUT_MS: int(10_000, 100, 120_000).describe('time a webhook receiver has to answer one delivery'),
  WIZ_WORKSPACE_DIR: z
    .string()
    .default('')
    .describe("root of the agents' workspaces (one directory per agent); empty: <WIZ_DATA_DIR>/workspaces"),
  WIZ_WORKSPACE_MAX_FILE_BYTES: int(1_048_576, 1, 1_073_741_824).describe(
    'largest file the workspace tools read or write',
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .default('')
    .describe('OTLP/HTTP collector base URL (traces go to <it>/v1/traces, JSON); empty: tracing off, at no cost'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .default('')
    .describe('full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces'),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .default('')
    .describe('headers sent with each export, `key=value,key2=value2` (e.g. a collector API key)'),
  OTEL_SERVICE_NAME: z.string().default('wiz').describe('service.name of the exported spans'),
  WIZ_TRACE_CONTENT: bool(false).describe(
    'record prompts and completions on model-call spans (gen_ai.input/output.messages); off: only sizes and usage',
  ),
  WIZ_METRICS_ACCESS: z
    .enum(['loopback', 'public', 'token'])
    .default('loopback')
    .describe(
      'who may scrape GET /metrics: `loopback` (callers on this host), `public` (anyone who reaches the port), `token` (Bearer WIZ_METRICS_TOKEN)',
    ),
  WIZ_METRICS_TOKEN: z.string().default('').describe('bearer token for GET /metrics when WIZ_METRICS_ACCESS=token'),
  WIZ_MODEL_PRICES: z
    .string()
    .default('')
    .describe(
      'JSON price table merged over the defaults: {"model": {"input": USD per 1M tokens, "output": USD per 1M tokens}}, or "provider/model" keys',
    ),
  WIZ_MCP_STDIO: bool(false).describe(
    'allow stdio MCP servers: a tenant then runs a program of its choice on the runtime host',
  ),
  WIZ_MCP_CALL_TIMEOUT_MS: int(60_000, 100, 3_600_000).describe('time limit of one MCP tool call'),
  WIZ_MCP_CONNECT_TIMEOUT_MS: int(10_000, 100, 600_000).describe('time limit to connect to an MCP server'),
  WIZ_MCP_MAX_RESULT_CHARS: int(50_000, 100, 10_000_000).describe(
    'longest MCP tool result given to the model (longer ones are cut)',
  ),
  WIZ_MCP_IDLE_MS: int(300_000, 1_000, 86_400_000).describe('an unused MCP connection is closed after this'),
});
export type WizConfig = z.infer<typeof ConfigSchema>;

export type Env = Record<string, string | undefined>;

export function parseConfig(env: Env): WizConfig {
  // Empty strings count as unset for everything but DATABASE_URL (where empty means SQLite).
  const input = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' && k !== 'DATABASE_URL' ? undefined : env[k]]),
  );
  const r = ConfigSchema.safeParse(input);
  if (r.success) {
    if (r.data.WIZ_AUTH === 'off' && !isLoopback(r.data.HOST)) {
      throw new Error(
        `invalid configuration:\n  WIZ_AUTH: "off" is only allowed when HOST is a loopback address (HOST is ${r.data.HOST})`,
      );
    }
    // A shared database is read by several processes (gateway, runtimes, pods): a key each one
    // generates into its own WIZ_DATA_DIR would leave provider keys stored by one unreadable by
    // the others, found only when a job fails. Refuse at boot instead.
    if (r.data.DATABASE_URL !== '' && r.data.WIZ_SECRET_KEY === '') {
      throw new Error(
        'invalid configuration:\n  WIZ_SECRET_KEY: required when DATABASE_URL is set (Postgres is shared by every gateway and runtime: they must all encrypt provider API keys with one key; a key generated per process would make stored keys unreadable elsewhere). Set the same value, at least 32 characters (e.g. `openssl rand -base64 32`), in every process.',
      );
    }
    return r.data;
  }
  const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid configuration:\n${lines.join('\n')}`);
}

// The configuration table for the README, generated from the schema so it never drifts.
export function describeConfig(): Array<{ name: string; default: string; description: string }> {
  return Object.entries(ConfigSchema.shape).map(([name, s]) => {
    const parsed = (s as z.ZodType).safeParse(undefined);
    return {
      name,
      default: parsed.success && parsed.data !== undefined ? String(parsed.data) : '',
      description: (s as z.ZodType).description ?? '',
    };
  });
}

const isProxyEntry = (p: string): boolean => {
  if (p === '' || ['loopback', 'linklocal', 'uniquelocal'].includes(p)) return true;
  const [addr, bits, extra] = p.split('/');
  return extra === undefined && isIP(addr ?? '') !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
};

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** The guard of outbound calls to tenants' URLs (provider base URLs; MCP and webhooks later). */
export const urlPolicyOf = (c: WizConfig) => ({
  guard: authEnabled(c),
  allowPrivate: c.WIZ_ALLOW_PRIVATE_URLS,
  allow: c.WIZ_ALLOWED_PRIVATE_HOSTS.split(',')
    .map((h) => h.trim())
    .filter(Boolean),
});

/** Whether API keys are required (WIZ_AUTH, with `auto` resolved against HOST). */
export const authEnabled = (c: Pick<WizConfig, 'WIZ_AUTH' | 'HOST'>): boolean =>
  c.WIZ_AUTH === 'on' || (c.WIZ_AUTH === 'auto' && !isLoopback(c.HOST));

/** Express's `trust proxy` value for WIZ_TRUST_PROXY: false when empty, else true, a hop count or the list. */
export function trustProxyOf(c: Pick<WizConfig, 'WIZ_TRUST_PROXY'>): boolean | number | string[] {
  const v = c.WIZ_TRUST_PROXY.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** REST requests per minute per key: as configured, else 600 with authentication on and none (0) with it off. */
export const rateLimitPerMin = (c: Pick<WizConfig, 'WIZ_RATE_LIMIT_PER_MIN' | 'WIZ_AUTH' | 'HOST'>): number =>
  c.WIZ_RATE_LIMIT_PER_MIN ?? (authEnabled(c) ? 600 : 0);
