import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isHostName } from './relay/sni.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');

const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb|gb)?$/i, 'must be a size such as 100kb, 2mb or 2gb');

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    KONTOR_HOME: z.string().min(1).default('./var'),
    KONTOR_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_OWNER_URL: postgresUrl.optional(),
    DATABASE_RETENTION_URL: postgresUrl.optional(),
    DATABASE_DIRECT_URL: postgresUrl.optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    LOG_LEVEL: z.enum(logLevels).default('info'),
    LOG_KEEP_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    LOGIN_EVENT_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    TOTP_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
    RETENTION_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(7 * 86_400).default(86_400),
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
    MAIL_FROM: z.string().trim().min(3).max(320).regex(/^[^\r\n]+$/, 'must be one line').default('Kontor <no-reply@kontor.invalid>'),
    MAIL_LOCALE: z.enum(['de', 'en']).default('de'),
    STATIC_DIR: z.string().min(1).optional(),
    JSON_BODY_LIMIT: byteSize.default('100kb'),
    TRUST_PROXY: z.enum(['none', 'loopback', 'uniquelocal']).default('loopback'),
    SECURITY_HEADERS: z.enum(['app', 'proxy']).default('app'),
    KONTOR_ADMIN_EMAIL: z.string().trim().email('must be an email address').or(z.literal('admin@localhost')).default('admin@localhost'),
    LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    RECOVERY_REQUESTS_PER_10_MINUTES: z.coerce.number().int().min(1).max(100_000).default(10),
    IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 ** 3),
    IMPORT_UPLOADS_PER_USER: z.coerce.number().int().min(1).max(100).default(2),
    IMPORT_UPLOADS_PER_BANK: z.coerce.number().int().min(1).max(1000).default(4),
    IMPORT_SPOOL_RESERVE_BYTES: z.coerce.number().int().min(0).default(512 * 1024 ** 2),
    CALCULATION_TIMEOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
    AUDIT_SYSLOG_URL: z.string().regex(/^(tcp|tls):\/\/[^/:\s]+:\d{1,5}$/, 'must be tcp://host:port or tls://host:port').optional(),
    AUDIT_SYSLOG_CA_FILE: z.string().min(1).optional(),
    AUDIT_SYSLOG_CERT_FILE: z.string().min(1).optional(),
    AUDIT_SYSLOG_KEY_FILE: z.string().min(1).optional(),
    AUDIT_SYSLOG_MAX_LAG_SECONDS: z.coerce.number().int().min(10).max(7 * 86_400).default(600),
    AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
    PUBLIC_URL: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL').optional(),
    VENDOR_PASSKEY_REQUIRED: z.enum(['true', 'false']).default('false'),
  })
  .refine((env) => !env.AUDIT_SYSLOG_CERT_FILE === !env.AUDIT_SYSLOG_KEY_FILE, {
    message: 'AUDIT_SYSLOG_CERT_FILE and AUDIT_SYSLOG_KEY_FILE go together',
    path: ['AUDIT_SYSLOG_KEY_FILE'],
  })
  .refine((env) => !env.DATABASE_OWNER_URL || env.DATABASE_URL, {
    message: 'DATABASE_OWNER_URL needs DATABASE_URL as well',
    path: ['DATABASE_URL'],
  })
  .refine((env) => !env.DATABASE_DIRECT_URL || env.DATABASE_URL, {
    message: 'DATABASE_DIRECT_URL needs DATABASE_URL as well (it is the same role, reached without PgBouncer)',
    path: ['DATABASE_URL'],
  });

export interface Config {
  port: number;
  host: string;
  home: string;
  database:
    | { kind: 'embedded'; port: number; poolMax: number }
    | {
        kind: 'external'; apiUrl: string; ownerUrl: string | undefined; retentionUrl: string | undefined; poolMax: number;
        /** The API role reached without a transaction pooler: the job library, heartbeats and the leader lock need a real session. */
        directUrl: string | undefined;
      };
  logLevel: (typeof logLevels)[number];
  logKeepDays: number;
  sessionSecret: string | undefined;
  /** Keys every instance of a cluster must share (else each takes its own from $KONTOR_HOME/secrets.json). */
  loginEventKey: string | undefined;
  totpKey: string | undefined;
  /** Background jobs (imports, calculations) this instance runs at once: cores − 1, at least 1. */
  jobConcurrency: number;
  /** How often the cluster's leader runs retention (daily; shorter only for trials). */
  retentionIntervalMs: number;
  smtpUrl: string | undefined;
  /** The From of every mail. */
  mailFrom: string;
  /** The language of mails to recipients who never chose one (users.locale null); German for German banks. */
  mailLocale: 'de' | 'en';
  staticDir: string | undefined;
  jsonBodyLimit: string;
  trustProxy: 'none' | 'loopback' | 'uniquelocal';
  /** 'proxy': nginx sends the security headers (docker compose); 'app': the API does (npm start). */
  securityHeaders: 'app' | 'proxy';
  adminEmail: string;
  importMaxBytes: number;
  /** Uploads in flight per user and per bank, and the free disk space the spool never eats into. */
  uploadLimits: { perUser: number; perBank: number; spoolReserveBytes: number };
  calculationTimeoutMs: number;
  /** RFC 5424 over TCP: where audit and sign-in records are streamed as JSON lines. */
  auditSyslogUrl: string | undefined;
  /** tls:// only: the CA that must have signed the syslog server's certificate, and our client certificate. */
  auditSyslogTls: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined };
  /** Shipping further behind than this turns /api/health degraded and mails the admins. */
  auditSyslogMaxLagMs: number;
  auditCheckpointMs: number;
  /** The operator's own Ed25519 key (PKCS#8 PEM); else $KONTOR_HOME/checkpoint-key.pem is generated. */
  auditSigningKeyFile: string | undefined;
  /** Where signed checkpoints are appended: one directory for the whole cluster (default $KONTOR_HOME/checkpoints). */
  auditCheckpointDir: string;
  throttles: { login: { limit: number; windowSeconds: number }; recovery: { limit: number; windowSeconds: number } };
  /** Base of links in mails (invitations). */
  publicUrl: string;
  /** The platform's rule: vendor staff must sign in with a passkey (in addition to the vendor tenant's setting). */
  vendorPasskeyRequired: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; a wrong setting is reported by name, never by value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const e = parsed.data;
  const home = path.resolve(e.KONTOR_HOME);
  const embeddedPort = e.KONTOR_PG_PORT ?? e.PORT + 10000;
  if (!e.DATABASE_URL && embeddedPort > 65535) {
    throw new ConfigError(['KONTOR_PG_PORT: PORT + 10000 exceeds 65535; set KONTOR_PG_PORT explicitly']);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    home,
    database: e.DATABASE_URL
      ? {
        kind: 'external', apiUrl: e.DATABASE_URL, ownerUrl: e.DATABASE_OWNER_URL, retentionUrl: e.DATABASE_RETENTION_URL, poolMax: e.DATABASE_POOL_MAX,
        directUrl: e.DATABASE_DIRECT_URL,
      }
      : { kind: 'embedded', port: embeddedPort, poolMax: e.DATABASE_POOL_MAX },
    logLevel: e.LOG_LEVEL,
    logKeepDays: e.LOG_KEEP_DAYS,
    sessionSecret: e.SESSION_SECRET,
    loginEventKey: e.LOGIN_EVENT_KEY,
    totpKey: e.TOTP_KEY,
    jobConcurrency: e.JOB_CONCURRENCY ?? Math.max(1, os.availableParallelism() - 1),
    retentionIntervalMs: e.RETENTION_INTERVAL_SECONDS * 1000,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mailLocale: e.MAIL_LOCALE,
    staticDir: e.STATIC_DIR ? path.resolve(e.STATIC_DIR) : undefined,
    jsonBodyLimit: e.JSON_BODY_LIMIT,
    trustProxy: e.TRUST_PROXY,
    securityHeaders: e.SECURITY_HEADERS,
    adminEmail: e.KONTOR_ADMIN_EMAIL,
    importMaxBytes: e.IMPORT_MAX_BYTES,
    uploadLimits: { perUser: e.IMPORT_UPLOADS_PER_USER, perBank: e.IMPORT_UPLOADS_PER_BANK, spoolReserveBytes: e.IMPORT_SPOOL_RESERVE_BYTES },
    calculationTimeoutMs: e.CALCULATION_TIMEOUT_MINUTES * 60_000,
    auditSyslogUrl: e.AUDIT_SYSLOG_URL,
    auditSyslogTls: {
      caFile: e.AUDIT_SYSLOG_CA_FILE && path.resolve(e.AUDIT_SYSLOG_CA_FILE),
      certFile: e.AUDIT_SYSLOG_CERT_FILE && path.resolve(e.AUDIT_SYSLOG_CERT_FILE),
      keyFile: e.AUDIT_SYSLOG_KEY_FILE && path.resolve(e.AUDIT_SYSLOG_KEY_FILE),
    },
    auditSyslogMaxLagMs: e.AUDIT_SYSLOG_MAX_LAG_SECONDS * 1000,
    auditCheckpointMs: e.AUDIT_CHECKPOINT_SECONDS * 1000,
    auditSigningKeyFile: e.AUDIT_SIGNING_KEY_FILE && path.resolve(e.AUDIT_SIGNING_KEY_FILE),
    auditCheckpointDir: path.resolve(e.AUDIT_CHECKPOINT_DIR ?? path.join(home, 'checkpoints')),
    throttles: {
      login: { limit: e.LOGIN_ATTEMPTS_PER_MINUTE, windowSeconds: 60 },
      recovery: { limit: e.RECOVERY_REQUESTS_PER_10_MINUTES, windowSeconds: 600 },
    },
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`,
    vendorPasskeyRequired: e.VENDOR_PASSKEY_REQUIRED === 'true',
  };
}

// ---- the tunnel and the relay (their own processes, their own settings) -----------------------------

const tunnelSchema = z.object({
  KONTOR_RELAY: z.string().regex(/^[0-9a-z.-]+:\d{1,5}$/i, 'host:port'),
  KONTOR_RELAY_HOST_KEY: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256:… as printed by `relay host-key`'),
  KONTOR_SERVER_NAME: z.string().max(253).refine(isHostName, 'a DNS host name'),
  KONTOR_TUNNEL_KEY_FILE: z.string().min(1).max(4096),
  KONTOR_TUNNEL_TARGET: z.string().regex(/^(unix:\/.{1,200}|(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5})$/, 'unix:/path or a loopback host:port'),
  KONTOR_TUNNEL_PROXY_PROTOCOL: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

export interface TunnelConfig {
  relay: { host: string; port: number };
  relayHostKey: string;
  serverName: string;
  keyFile: string;
  /** nginx's TLS listener: a unix socket path or a loopback host and port. */
  target: { path: string } | { host: string; port: number };
  proxyProtocol: boolean;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

/** `npm run tunnel -- run`: its settings, validated like the server's. */
export function loadTunnelConfig(env: NodeJS.ProcessEnv = process.env): TunnelConfig {
  const parsed = tunnelSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data;
  const at = e.KONTOR_RELAY.lastIndexOf(':');
  const t = e.KONTOR_TUNNEL_TARGET;
  const tAt = t.lastIndexOf(':');
  return {
    relay: { host: e.KONTOR_RELAY.slice(0, at), port: Number(e.KONTOR_RELAY.slice(at + 1)) },
    relayHostKey: e.KONTOR_RELAY_HOST_KEY,
    serverName: e.KONTOR_SERVER_NAME,
    keyFile: e.KONTOR_TUNNEL_KEY_FILE,
    target: t.startsWith('unix:') ? { path: t.slice(5) } : { host: t.slice(0, tAt).replace(/^\[|\]$/g, ''), port: Number(t.slice(tAt + 1)) },
    proxyProtocol: e.KONTOR_TUNNEL_PROXY_PROTOCOL === 'on',
    logLevel: e.LOG_LEVEL,
  };
}

/** The tunnel's log level before (or without) the rest of its settings: LOG_LEVEL, checked as `run` checks it. */
export function tunnelLogLevel(env: NodeJS.ProcessEnv = process.env): TunnelConfig['logLevel'] {
  const parsed = tunnelSchema.shape.LOG_LEVEL.safeParse(env.LOG_LEVEL || undefined);
  return parsed.success ? parsed.data : 'info';
}

/** `tunnel keygen`: the host name the key is made for, when KONTOR_SERVER_NAME is set (it must be a host name). */
export function tunnelKeyHostName(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const parsed = tunnelSchema.shape.KONTOR_SERVER_NAME.optional().safeParse(env.KONTOR_SERVER_NAME || undefined);
  if (!parsed.success) throw new ConfigError([`KONTOR_SERVER_NAME: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
  return parsed.data;
}
