import { z } from 'zod';
import { authProblems, d3Auth, MISSING_KEY } from './config-auth.ts';
import { incidentUrlTemplate, loadDispositions } from './config-dispositions.ts';
import { surfaceEnv, surfacesOf } from './config-surfaces.ts';
import { urlProblems } from './config-urls.ts';
import { isZoneSetting } from './d3/dates.ts';
import { NOTE_MAX_LENGTH, SLACK_CHANNEL_ID, SLACK_USER_GROUP_ID, SLACK_USER_ID } from './domain/limits.ts';

/**
 * A value that must never be printed. `toString`/`toJSON`/inspect all say `[redacted]`, so a config
 * object that reaches a logger, an error message or JSON.stringify cannot leak the token.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[redacted]';
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const idList = (prefix: RegExp, what: string) =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(/[\s,]+/)
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((ids) => ids.every((id) => prefix.test(id)), { message: `must be a comma-separated list of ${what}` });

const secret = (rule: z.ZodString) => rule.transform((v) => new Secret(v));

const Env = z.object({
  SLACK_BOT_TOKEN: secret(
    z.string({ message: 'is required' }).startsWith('xoxb-', { message: 'must start with xoxb-' }),
  ),
  SLACK_SIGNING_SECRET: secret(z.string().min(8, { message: 'must be the app signing secret' })).optional(),
  SLACK_APP_TOKEN: secret(z.string().startsWith('xapp-', { message: 'must start with xapp-' })).optional(),
  SLACK_API_URL: z.url({ message: 'must be a URL' }).optional(),
  SLACK_ADMIN_USER_IDS: idList(SLACK_USER_ID, 'Slack user IDs (U… or W…)'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  D3_BASE_URL: z.url({ message: 'is required and must be a URL' }),
  D3_API_NAMESPACE: z
    .string({ message: 'is required' })
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a name such as VSOC' }),
  D3_API_KEY: secret(z.string().min(1)).optional(),
  D3_STATE_API_KEY: secret(z.string().min(1)).optional(),
  D3_FIELDS_API_KEY: secret(z.string().min(1)).optional(),
  D3_FIELDS_JWT_SECRET: secret(z.string().min(32, { message: 'must be at least 32 characters' })).optional(),
  D3_PREVIEW: bool(true),
  D3_INCIDENT_URL_TEMPLATE: incidentUrlTemplate.optional(),
  CONFIRM_BEFORE_CLOSE: bool(false),
  DISPOSITIONS: z.string().optional(),
  DISPOSITIONS_FILE: z.string().optional(),
  DISPOSITION_REQUIRED: bool(false),
  D3_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { message: 'must be an HTTP header name' })
    .default('d3key'),
  D3_AUTH: z.enum(['key', 'jwt'], { message: 'must be key or jwt' }).default('key'),
  D3_JWT_SECRET: secret(
    z.string().min(32, { message: "must be the JWT key's Secret Key (at least 32 characters)" }),
  ).optional(),
  D3_STATE_JWT_SECRET: secret(z.string().min(32, { message: 'must be at least 32 characters' })).optional(),
  D3_JWT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { message: 'must be an HTTP header name' })
    .default('d3jwt'),
  D3_JWT_CLAIMS: z.string().optional(),
  D3_JWT_TTL_S: int(60, 0),
  D3_DEFAULT_SITE: z.string().optional(),
  D3_TIMEOUT_MS: int(15_000),
  D3_RETRY_DEADLINE_MS: int(60_000),
  D3_MAX_RPS: int(40),
  D3_QUEUE_MAX: int(500),
  D3_CLOSE_COMMAND: z
    .enum(['CloseIncident', 'CloseIncidentInBulk'], { message: 'must be CloseIncident or CloseIncidentInBulk' })
    .default('CloseIncident'),
  D3_ALLOW_INSECURE_HTTP: bool(false),
  D3_CLOCK_SKEW_MS: int(120_000, 0),
  D3_BULK_CHUNK: int(50),
  BULK_MAX: int(100),
  D3_TIMEZONE: z
    .string()
    .refine(isZoneSetting, { message: 'must be an IANA time zone (e.g. Asia/Shanghai) or an offset such as +08:00' })
    .optional(),
  USER_MAP_FILE: z.string().default('./config/users.yml'),
  STORE_URL: z
    .string()
    .regex(/^(memory|sqlite|redis|rediss):\/\//, {
      message: 'must start with memory://, sqlite://, redis:// or rediss://',
    })
    .default('sqlite://./data/close-incident.sqlite'),
  CLOSE_NOTE_REQUIRED: bool(true),
  ALLOWED_CHANNEL_IDS: idList(SLACK_CHANNEL_ID, 'Slack channel IDs (C…, G…)'),
  ALLOWED_USER_GROUP_IDS: idList(SLACK_USER_GROUP_ID, 'Slack user group IDs (S…)'),
  SUPPORT_CONTACT: z.string().optional(),
  SHUTDOWN_TIMEOUT_MS: int(30_000),
  OUTBOX_INTERVAL_MS: int(30_000),
  OUTBOX_CLAIM_TTL_MS: int(60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUDIT_NOTE_KEY: secret(
    z.string().min(32, { message: 'must be at least 32 characters (e.g. openssl rand -hex 32)' }),
  ).optional(),
  ...surfaceEnv,
});

export type Config = ReturnType<typeof shape>;

function shape(e: z.output<typeof Env>) {
  const dispositions = loadDispositions(e).list;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      adminUserIds: e.SLACK_ADMIN_USER_IDS,
    },
    http: { port: e.PORT, host: e.HOST },
    d3: {
      baseUrl: e.D3_BASE_URL,
      namespace: e.D3_API_NAMESPACE,
      // In jwt mode no key is sent (d3/auth.ts); loadConfig requires D3_API_KEY only in key mode.
      apiKey: e.D3_API_KEY ?? new Secret(''),
      stateApiKey: e.D3_STATE_API_KEY ?? e.D3_API_KEY ?? new Secret(''),
      fieldsApiKey: e.D3_FIELDS_API_KEY ?? e.D3_API_KEY ?? new Secret(''),
      preview: e.D3_PREVIEW,
      incidentUrlTemplate: e.D3_INCIDENT_URL_TEMPLATE,
      auth: d3Auth(e),
      keyHeader: e.D3_API_KEY_HEADER,
      defaultSite: e.D3_DEFAULT_SITE,
      timeoutMs: e.D3_TIMEOUT_MS,
      retryDeadlineMs: e.D3_RETRY_DEADLINE_MS,
      maxRps: e.D3_MAX_RPS,
      queueMax: e.D3_QUEUE_MAX,
      closeCommand: e.D3_CLOSE_COMMAND,
      clockSkewMs: e.D3_CLOCK_SKEW_MS,
      timeZone: e.D3_TIMEZONE,
      /** Incident numbers per CloseIncidentInBulk call (with D3_CLOSE_COMMAND=CloseIncidentInBulk). */
      bulkChunk: e.D3_BULK_CHUNK,
    },
    /** Most incident numbers one request may close (a comma list, or one per line in the modal). */
    bulkMax: e.BULK_MAX,
    userMapFile: e.USER_MAP_FILE,
    storeUrl: e.STORE_URL,
    policy: {
      noteRequired: e.CLOSE_NOTE_REQUIRED,
      maxNoteLength: NOTE_MAX_LENGTH,
      allowedChannelIds: e.ALLOWED_CHANNEL_IDS,
      allowedUserGroupIds: e.ALLOWED_USER_GROUP_IDS,
      adminUserIds: e.SLACK_ADMIN_USER_IDS,
    },
    supportContact: e.SUPPORT_CONTACT,
    confirmBeforeClose: e.CONFIRM_BEFORE_CLOSE,
    dispositions: { list: dispositions, required: e.DISPOSITION_REQUIRED },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    outbox: { intervalMs: e.OUTBOX_INTERVAL_MS, claimTtlMs: e.OUTBOX_CLAIM_TTL_MS },
    logLevel: e.LOG_LEVEL,
    audit: { noteKey: e.AUDIT_NOTE_KEY },
    surfaces: surfacesOf(e),
  };
}

/**
 * Reads the environment once. Empty strings count as unset (a blank line in .env must not turn a
 * default off); every problem is collected and reported as `NAME: rule`, never with the value.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = Env.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // Listed with the schema's own problems, not only once they are fixed.
  if (!parsed.success && input.D3_AUTH !== 'jwt' && !input.D3_API_KEY) problems.push(MISSING_KEY);
  if (parsed.success) {
    const e = parsed.data;
    if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
      problems.push('SLACK_SIGNING_SECRET: is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)');
    }
    problems.push(...urlProblems(e), ...authProblems(e), ...loadDispositions(e).problems);
    if (problems.length === 0) return shape(e);
  }
  throw new ConfigError(problems);
}
