import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { InvalidConfigError } from './invalid-config.error';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const intFromEnv = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);

/** 32 bytes as 64 hex digits or base64 (`openssl rand -base64 32`). */
function decodeKey(text: string): Buffer | null {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : null;
  return bytes && bytes.length === 32 ? bytes : null;
}

/** A requester team's name, as REQUESTER_TOKENS gives it and tickets and subscriptions record it. */
export const TEAM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The team of the single REQUESTER_TOKEN: everyone holding it is one team. */
export const SHARED_REQUESTER_TEAM = 'shared';

/** An IP address, or a CIDR range whose prefix fits its family (at most 32 bits for IPv4, 128 for IPv6). */
function isAddressOrRange(entry: string): boolean {
  const [host, prefix, extra] = entry.split('/');
  const family = isIP(host);
  return family !== 0 && extra === undefined && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether HOST names a loopback interface (127.0.0.0/8 and ::1, RFC 1122 §3.2.1.3 and RFC 4291
 * §2.5.3, also IPv4-mapped; or "localhost", RFC 6761 §6.3), so nothing off this machine reaches it.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A comma-separated setting: entries trimmed, empty ones skipped, each turned into a value by
 * `entry`, which names what is wrong with one through `problem` (all of them are reported).
 */
function commaList<T>(entry: (text: string, index: number, problem: (message: string) => void) => T) {
  return z.string().transform((v, ctx) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((text, i) => entry(text, i, (message) => ctx.addIssue({ code: 'custom', message }))),
  );
}

const KEY_FORMAT = '32 random bytes as base64 or 64 hex digits (openssl rand -base64 32)';

const secretsKey = z.string({ error: `is required: ${KEY_FORMAT}; it encrypts secrets at rest and every instance needs the same one` }).transform((v, ctx) => {
  const key = decodeKey(v);
  if (!key) ctx.addIssue({ code: 'custom', message: `must be ${KEY_FORMAT}` });
  return key ?? Buffer.alloc(0);
});

const envSchema = z.object({
  SECRETS_KEY: secretsKey,
  SECRETS_PREVIOUS_KEYS: commaList((entry, i, problem) => {
    const key = decodeKey(entry);
    if (!key) problem(`entry ${i + 1} must be ${KEY_FORMAT}`);
    return key ?? Buffer.alloc(0);
  }).optional(),
  DATABASE_URL: z
    .string({ error: 'is required (mysql://user:pass@host:port/db)' })
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'mysql:' || u.protocol === 'mariadb:') && u.pathname.length > 1;
      } catch {
        return false;
      }
    }, 'must look like mysql://user:pass@host:port/db'),
  PORT: intFromEnv(0, 65535, 8080),
  HOST: z.string().trim().min(1).optional(),
  ALLOW_OPEN_ADMIN: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
  INSTANCE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, . _ : -')
    .optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters when set').optional(),
  REQUESTER_TOKEN: z.string().min(16, 'must be at least 16 characters when set').optional(),
  REQUESTER_TOKENS: commaList((entry, i, problem) => {
    const at = entry.indexOf('=');
    const team = at < 0 ? '' : entry.slice(0, at).trim();
    const token = at < 0 ? '' : entry.slice(at + 1).trim();
    if (!TEAM_NAME.test(team)) problem(`entry ${i + 1} must be team=token with a team name of 1-64 lower-case letters, digits, . _ -`);
    else if (token.length < 16) problem(`entry ${i + 1} (${team}): the token must be at least 16 characters`);
    return { team, token };
  }).optional(),
  TRUSTED_PROXIES: commaList((entry, _i, problem) => {
    if (!isAddressOrRange(entry)) problem(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8)`);
    return entry;
  }).optional(),
  AUTH_FAILURE_LIMIT: intFromEnv(0, 1_000_000, 20),
  TICKET_PENDING_LIMIT: intFromEnv(1, 100_000, 20),
  TICKET_DAILY_LIMIT: intFromEnv(1, 1_000_000, 100),
  AUTH_FAILURE_WINDOW_MS: intFromEnv(1_000, 86_400_000, 60_000),
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ALERT_WEBHOOK_FORMAT: z.enum(['json', 'slack', 'wecom', 'dingtalk'], { error: 'must be one of json, slack, wecom, dingtalk' }).default('json'),
  ALERT_EVALUATE_INTERVAL_MS: intFromEnv(50, 600_000, 5_000),
  PREVIEW_REQUESTER_TOPICS: z.enum(['unclaimed', 'own', 'none'], { error: 'must be one of unclaimed, own, none' }).default('unclaimed'),
  ENDPOINT_ALLOWED_HOSTS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const [host, prefix, extra] = entry.split('/');
        const family = isIP(host);
        const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
        const ok = family ? okPrefix && extra === undefined : prefix === undefined && /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(host);
        if (!ok) ctx.addIssue({ code: 'custom', message: `"${entry}" is not a host name, *.domain suffix, IP address or CIDR range` });
      }
    })
    .optional(),
  CONFIG_REFRESH_INTERVAL_MS: intFromEnv(100, 3_600_000, 10_000),
  // The least time between two offset commits of one consumer; commits follow done records continuously.
  COMMIT_INTERVAL_MS: intFromEnv(10, 3_600_000, 50),
  SHUTDOWN_DRAIN_TIMEOUT_MS: intFromEnv(0, 600_000, 10_000),
  HEARTBEAT_INTERVAL_MS: intFromEnv(100, 600_000, 5_000),
  INSTANCE_TIMEOUT_MS: intFromEnv(300, 3_600_000, 15_000),
  METRICS_SAMPLE_INTERVAL_MS: intFromEnv(1_000, 600_000, 15_000),
  METRICS_RETENTION_MS: intFromEnv(60_000, 86_400_000, 3_600_000),
  SUBSCRIPTION_REPLICAS: intFromEnv(1, 1000, 2),
  RESET_WAIT_TIMEOUT_MS: intFromEnv(1_000, 3_600_000, 60_000),
  DEAD_LETTER_DIR: z.string().trim().min(1).optional(),
  MAX_MESSAGE_BYTES: intFromEnv(1, 100 * 1024 * 1024, 1024 * 1024),
  KAFKA_SESSION_TIMEOUT_MS: intFromEnv(1000, 300_000, 10_000),
  KAFKA_PREFETCH_KBYTES: intFromEnv(1024, 2_097_151, 8192),
  KAFKA_DEBUG: z
    .string()
    .regex(/^[a-z,]+$/, 'must be a comma-separated list of librdkafka debug contexts, e.g. consumer,cgrp,fetch')
    .optional(),
  PARTITION_BUFFER_SIZE: intFromEnv(1, 1_000_000, 500),
  DEAD_LETTER_EXCERPT_BYTES: intFromEnv(256, 65_536, 4_096),
  DEAD_LETTER_LIST_MAX_BYTES: intFromEnv(65_536, 64 * 1024 * 1024, 1024 * 1024),
  DEAD_LETTER_BULK_MAX_RECORDS: intFromEnv(1, 1_000_000, 10_000),
  DEAD_LETTER_BULK_JOBS: intFromEnv(1, 64, 2),
  STATUS_CACHE_MS: intFromEnv(0, 60_000, 1_000),
  STATUS_KAFKA_CONCURRENCY: intFromEnv(1, 64, 2),
  STATUS_KAFKA_QUEUE: intFromEnv(0, 100_000, 256),
  DB_POOL_SIZE: intFromEnv(1, 200, 10),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .optional()
    .transform((v) => v ?? 'info'),
});

export interface SecretKeys {
  /** Seals new secrets; opens those sealed with it. */
  readonly current: Buffer;
  /** Only open secrets sealed before a rotation. */
  readonly previous: readonly Buffer[];
}

export interface DatabaseSettings {
  readonly url: string;
  readonly poolSize: number;
}

/** Every setting of the process, validated once at boot. */
export class AppConfig {
  readonly port: number;
  /**
   * Where the API listens. Unset: 0.0.0.0 when ADMIN_TOKEN is set (or ALLOW_OPEN_ADMIN=true),
   * else 127.0.0.1, so an API without a token is reachable only from this machine.
   */
  readonly host: string;
  /** ALLOW_OPEN_ADMIN=true: the operator accepts an API without a token on a non-loopback HOST. */
  readonly allowOpenAdmin: boolean;
  /**
   * TRUSTED_PROXIES: addresses and CIDR ranges of reverse proxies whose X-Forwarded-For and
   * X-Forwarded-Host kproxy believes (empty: none; the TCP peer is the client).
   */
  readonly trustedProxies: readonly string[];
  readonly instanceId: string;
  readonly adminToken: string | undefined;
  /**
   * Requester tokens and the team each one stands for (REQUESTER_TOKENS, and REQUESTER_TOKEN as
   * the team "shared"): they may submit tickets and read their own team's tickets and
   * subscriptions; only with ADMIN_TOKEN set.
   */
  readonly requesters: readonly { readonly team: string; readonly token: string }[];
  /** Pending tickets one requester team may have at once, and tickets it may submit per 24 h. */
  readonly ticketQuota: { readonly pending: number; readonly perDay: number };
  /** Failed token checks one address may make per window before it is refused (0: no limit). */
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  /** Alerts of subscriptions without their own webhook go here (and in this format). */
  readonly alertWebhook: { readonly url: string; readonly format: 'json' | 'slack' | 'wecom' | 'dingtalk' } | undefined;
  readonly alertEvaluateIntervalMs: number;
  /**
   * Which topics a requester may read the last records of in a ticket's preview (POST
   * /api/preview with lastRecords): `unclaimed` those no other team's or the operators'
   * subscription consumes, `own` only those its team's subscriptions consume, `none` no topic.
   * Kafka credentials of the requester's own (kafka.security.sasl) let the cluster decide instead.
   */
  readonly previewRequesterTopics: 'unclaimed' | 'own' | 'none';
  /** Empty: any endpoint host except link-local and metadata addresses. */
  readonly endpointAllowedHosts: string[];
  readonly refreshIntervalMs: number;
  /** Least time between two commits of one consumer (ms); one commit is outstanding at a time. */
  readonly commitIntervalMs: number;
  readonly shutdownDrainTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** An instance whose heartbeat is older than this no longer counts as running anything. */
  readonly instanceTimeoutMs: number;
  /**
   * The metrics history (GET /api/subscriptions/:id/metrics): every METRICS_SAMPLE_INTERVAL_MS
   * each instance writes one row per subscription it runs; rows older than METRICS_RETENTION_MS
   * are deleted, and no window may ask for more.
   */
  readonly metricsHistory: { readonly sampleIntervalMs: number; readonly retentionMs: number };
  /** Live instances a subscription with empty `hosts` and no `replicas` of its own runs on; the same on every instance. */
  readonly subscriptionReplicas: number;
  /** How long an offset reset waits for every instance to stop the subscription. */
  readonly resetWaitTimeoutMs: number;
  /** When set, every dead letter is also appended to <dir>/subscription-<id>.jsonl. */
  readonly deadLetterDir: string | undefined;
  readonly maxMessageBytes: number;
  readonly partitionBufferSize: number;
  /** Bytes of each of key, value, headers, bodies and texts a dead-letter list row shows (the single-item route shows all). */
  readonly deadLetterExcerptBytes: number;
  /** Bytes one dead-letter list answer may reach (JSON); a page that would pass it ends early. */
  readonly deadLetterListMaxBytes: number;
  /** Records one bulk re-delivery (job or call) may cover at most: the largest `limit` accepted. */
  readonly deadLetterBulkMaxRecords: number;
  /** Bulk re-delivery jobs this instance runs at once; more are refused with 429. */
  readonly deadLetterBulkJobs: number;
  /** How long one subscription's status answer is reused (ms); 0 = only callers in flight share it. */
  readonly statusCacheMs: number;
  /** Status computations running Kafka calls at once, process-wide (each makes its calls one after another). */
  readonly statusKafkaConcurrency: number;
  /** Status computations waiting for a slot; past this a status call answers 429 with Retry-After. */
  readonly statusKafkaQueue: number;
  readonly kafkaSessionTimeoutMs: number;
  /** librdkafka's prefetch per consumer (queued.max.messages.kbytes); bounds memory per subscription. */
  readonly kafkaPrefetchKbytes: number;
  readonly kafkaDebug: string | undefined;
  readonly logLevel: LogLevel;
  readonly database: DatabaseSettings;
  readonly secretKeys: SecretKeys;

  private constructor(values: z.output<typeof envSchema>) {
    this.port = values.PORT;
    this.allowOpenAdmin = values.ALLOW_OPEN_ADMIN;
    this.host = values.HOST ?? (values.ADMIN_TOKEN !== undefined || values.ALLOW_OPEN_ADMIN ? '0.0.0.0' : '127.0.0.1');
    this.trustedProxies = values.TRUSTED_PROXIES ?? [];
    this.instanceId = values.INSTANCE_ID ?? hostname();
    this.adminToken = values.ADMIN_TOKEN;
    this.requesters = [
      ...(values.REQUESTER_TOKEN === undefined ? [] : [{ team: SHARED_REQUESTER_TEAM, token: values.REQUESTER_TOKEN }]),
      ...(values.REQUESTER_TOKENS ?? []),
    ];
    this.ticketQuota = { pending: values.TICKET_PENDING_LIMIT, perDay: values.TICKET_DAILY_LIMIT };
    this.authFailureLimit = values.AUTH_FAILURE_LIMIT;
    this.authFailureWindowMs = values.AUTH_FAILURE_WINDOW_MS;
    this.alertWebhook = values.ALERT_WEBHOOK_URL ? { url: values.ALERT_WEBHOOK_URL, format: values.ALERT_WEBHOOK_FORMAT } : undefined;
    this.alertEvaluateIntervalMs = values.ALERT_EVALUATE_INTERVAL_MS;
    this.previewRequesterTopics = values.PREVIEW_REQUESTER_TOPICS;
    this.endpointAllowedHosts = values.ENDPOINT_ALLOWED_HOSTS ?? [];
    this.refreshIntervalMs = values.CONFIG_REFRESH_INTERVAL_MS;
    this.commitIntervalMs = values.COMMIT_INTERVAL_MS;
    this.shutdownDrainTimeoutMs = values.SHUTDOWN_DRAIN_TIMEOUT_MS;
    this.heartbeatIntervalMs = values.HEARTBEAT_INTERVAL_MS;
    this.instanceTimeoutMs = Math.max(values.INSTANCE_TIMEOUT_MS, values.HEARTBEAT_INTERVAL_MS * 2);
    this.subscriptionReplicas = values.SUBSCRIPTION_REPLICAS;
    this.metricsHistory = { sampleIntervalMs: values.METRICS_SAMPLE_INTERVAL_MS, retentionMs: values.METRICS_RETENTION_MS };
    this.resetWaitTimeoutMs = values.RESET_WAIT_TIMEOUT_MS;
    this.deadLetterDir = values.DEAD_LETTER_DIR;
    this.maxMessageBytes = values.MAX_MESSAGE_BYTES;
    this.partitionBufferSize = values.PARTITION_BUFFER_SIZE;
    this.deadLetterExcerptBytes = values.DEAD_LETTER_EXCERPT_BYTES;
    this.deadLetterListMaxBytes = values.DEAD_LETTER_LIST_MAX_BYTES;
    this.deadLetterBulkMaxRecords = values.DEAD_LETTER_BULK_MAX_RECORDS;
    this.deadLetterBulkJobs = values.DEAD_LETTER_BULK_JOBS;
    this.statusCacheMs = values.STATUS_CACHE_MS;
    this.statusKafkaConcurrency = values.STATUS_KAFKA_CONCURRENCY;
    this.statusKafkaQueue = values.STATUS_KAFKA_QUEUE;
    this.kafkaSessionTimeoutMs = values.KAFKA_SESSION_TIMEOUT_MS;
    this.kafkaPrefetchKbytes = values.KAFKA_PREFETCH_KBYTES;
    this.kafkaDebug = values.KAFKA_DEBUG;
    this.logLevel = values.LOG_LEVEL;
    this.database = { url: values.DATABASE_URL, poolSize: values.DB_POOL_SIZE };
    this.secretKeys = { current: values.SECRETS_KEY, previous: values.SECRETS_PREVIOUS_KEYS ?? [] };
  }

  /** Throws one error naming every bad variable. Empty strings count as unset. */
  static fromEnv(env: NodeJS.ProcessEnv): AppConfig {
    const parsed = envSchema.safeParse(pickSet(env, Object.keys(envSchema.shape)));
    if (!parsed.success) throw new InvalidConfigError(describe(parsed.error.issues));
    const { ADMIN_TOKEN, REQUESTER_TOKEN, REQUESTER_TOKENS, HOST, ALLOW_OPEN_ADMIN } = parsed.data;
    if (ADMIN_TOKEN === undefined && HOST !== undefined && !isLoopbackHost(HOST) && !ALLOW_OPEN_ADMIN) {
      throw new InvalidConfigError(
        `Invalid environment:\n  HOST: "${HOST}" is not a loopback address and ADMIN_TOKEN is unset, so anyone who can reach it could change every subscription; ` +
          'set ADMIN_TOKEN, or leave HOST unset (kproxy then listens on 127.0.0.1), or set ALLOW_OPEN_ADMIN=true to serve an open admin API on purpose',
      );
    }
    for (const [name, given] of [
      ['REQUESTER_TOKEN', REQUESTER_TOKEN],
      ['REQUESTER_TOKENS', REQUESTER_TOKENS],
    ] as const) {
      if (given !== undefined && ADMIN_TOKEN === undefined) {
        throw new InvalidConfigError(`Invalid environment:\n  ${name}: needs ADMIN_TOKEN set too (without it the API is open and roles mean nothing)`);
      }
    }
    if (REQUESTER_TOKEN !== undefined && REQUESTER_TOKEN === ADMIN_TOKEN) {
      throw new InvalidConfigError('Invalid environment:\n  REQUESTER_TOKEN: must differ from ADMIN_TOKEN');
    }
    const { METRICS_SAMPLE_INTERVAL_MS, METRICS_RETENTION_MS } = parsed.data;
    if (METRICS_RETENTION_MS < 4 * METRICS_SAMPLE_INTERVAL_MS) {
      throw new InvalidConfigError(
        `Invalid environment:\n  METRICS_RETENTION_MS: must be at least 4 × METRICS_SAMPLE_INTERVAL_MS (${4 * METRICS_SAMPLE_INTERVAL_MS}), or the history holds too few samples to draw`,
      );
    }
    const teams = new Set<string>(REQUESTER_TOKEN === undefined ? [] : [SHARED_REQUESTER_TEAM]);
    const tokens = new Set<string>([ADMIN_TOKEN ?? '', REQUESTER_TOKEN ?? '']);
    for (const { team, token } of REQUESTER_TOKENS ?? []) {
      if (teams.has(team))
        throw new InvalidConfigError(
          `Invalid environment:\n  REQUESTER_TOKENS: team "${team}" appears twice${team === SHARED_REQUESTER_TEAM ? ' (REQUESTER_TOKEN is the team "shared")' : ''}`,
        );
      if (tokens.has(token))
        throw new InvalidConfigError(`Invalid environment:\n  REQUESTER_TOKENS: the token of team "${team}" is used elsewhere; every token must differ`);
      teams.add(team);
      tokens.add(token);
    }
    return new AppConfig(parsed.data);
  }

  static fromProcessEnv(): AppConfig {
    return AppConfig.fromEnv(process.env);
  }

  /** For the re-encryption tool: the database and the keys, nothing else. */
  static secretsToolFromProcessEnv(): { database: DatabaseSettings; secretKeys: SecretKeys } {
    const schema = envSchema.pick({ DATABASE_URL: true, DB_POOL_SIZE: true, SECRETS_KEY: true, SECRETS_PREVIOUS_KEYS: true });
    const parsed = schema.safeParse(pickSet(process.env, Object.keys(schema.shape)));
    if (!parsed.success) throw new InvalidConfigError(describe(parsed.error.issues));
    return {
      database: { url: parsed.data.DATABASE_URL, poolSize: parsed.data.DB_POOL_SIZE },
      secretKeys: { current: parsed.data.SECRETS_KEY, previous: parsed.data.SECRETS_PREVIOUS_KEYS ?? [] },
    };
  }

  /** For tools that only touch the database (migrations): validates just those variables. */
  static databaseFromProcessEnv(): DatabaseSettings {
    const dbSchema = envSchema.pick({ DATABASE_URL: true, DB_POOL_SIZE: true });
    const parsed = dbSchema.safeParse(pickSet(process.env, Object.keys(dbSchema.shape)));
    if (!parsed.success) throw new InvalidConfigError(describe(parsed.error.issues));
    return { url: parsed.data.DATABASE_URL, poolSize: parsed.data.DB_POOL_SIZE };
  }
}

function pickSet(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return `Invalid environment:\n${issues.map((i) => `  ${String(i.path[0])}: ${i.message}`).join('\n')}`;
}
