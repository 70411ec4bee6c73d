import { readFileSync } from 'node:fs'
import { DEFAULT_ACTIVITY_LEASE_MS, DEFAULT_ACTIVITY_SETTINGS } from './domain/activities.js'
import { DEFAULT_RATE_LIMIT_POLICY, type RateLimitPolicy } from './domain/rateLimits.js'
import {
  DEFAULT_WEBHOOK_RETRY_POLICY,
  type SigningKeySource,
  WEBHOOK_WORKER_DEFAULTS,
  type WebhookRetryPolicy,
} from './domain/webhooks.js'
import { type DatabaseTimeouts, DEFAULT_DATABASE_TIMEOUTS } from './store/database.js'

/** Settings read from the environment; every one has a default that works on a fresh machine. */
export type Config = {
  port: number
  host: string
  databaseUrl: string
  databaseTimeouts: DatabaseTimeouts
  /** PostgreSQL: named prepared statements (off behind a pooler that drops them). */
  databasePreparedStatements: boolean
  logLevel: string
  /** Run an activity worker inside `tagbase serve` (ACTIVITY_WORKER=off leaves it to `tagbase worker`). */
  workerInServe: boolean
  activityChunkSize: number
  activityLeaseMs: number
  newSubscriberDays: number
  rateLimit: RateLimitPolicy
  /** Shared rate-limit counters for several API processes; in-process counters when unset. */
  redisUrl: string | undefined
  /** Run a webhook delivery worker inside `tagbase serve` and `tagbase worker` (WEBHOOK_WORKER=off: neither). */
  webhookWorker: boolean
  webhookTimeoutMs: number
  webhookConcurrency: number
  webhookRetry: WebhookRetryPolicy
  webhookRetentionDays: number
  /** Webhook signing key: from WEBHOOK_SIGNING_KEY_FILE / WEBHOOK_SIGNING_KEY, or stored (encrypted with SECRETS_KEY). */
  signingKey: SigningKeySource
  /** Webhooks may target loopback/private/link-local addresses (WEBHOOK_ALLOW_INTERNAL_TARGETS=on); off by default. */
  webhookAllowInternalTargets: boolean
  /** `tagbase worker` serves /metrics, /healthz and /readyz on this port when set. */
  metricsPort: number | undefined
  /** The operator's page at `/` (DASHBOARD=off removes it). */
  dashboard: boolean
  /** HTTP Basic password for the dashboard; unset: open like /metrics (private network). */
  dashboardPassword: string | undefined
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/tagbase.db'

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = portNumber('PORT', env.PORT ?? '8080')
  // Defaults are the ones the code uses when given nothing, so there is one place for each.
  const count = (name: string, fallback: number) => positiveInteger(name, env[name] ?? String(fallback))
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    databaseTimeouts: {
      connectMs: count('DATABASE_CONNECT_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.connectMs),
      queryMs: count('DATABASE_QUERY_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.queryMs),
      busyMs: count('DATABASE_BUSY_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.busyMs),
    },
    databasePreparedStatements: onOff(
      'DATABASE_PREPARED_STATEMENTS',
      env.DATABASE_PREPARED_STATEMENTS ?? 'on',
    ),
    logLevel: env.LOG_LEVEL ?? 'info',
    workerInServe: onOff('ACTIVITY_WORKER', env.ACTIVITY_WORKER ?? 'on'),
    activityChunkSize: count('ACTIVITY_CHUNK_SIZE', DEFAULT_ACTIVITY_SETTINGS.chunkSize),
    activityLeaseMs: count('ACTIVITY_LEASE_MS', DEFAULT_ACTIVITY_LEASE_MS),
    newSubscriberDays: count('NEW_SUBSCRIBER_DAYS', DEFAULT_ACTIVITY_SETTINGS.newSubscriberDays),
    rateLimit: {
      burstMax: count('RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT_POLICY.burstMax),
      burstIntervalMs: count('RATE_LIMIT_INTERVAL_MS', DEFAULT_RATE_LIMIT_POLICY.burstIntervalMs),
      dailyMax: count('RATE_LIMIT_DAILY', DEFAULT_RATE_LIMIT_POLICY.dailyMax),
    },
    redisUrl: env.REDIS_URL || undefined,
    webhookWorker: onOff('WEBHOOK_WORKER', env.WEBHOOK_WORKER ?? 'on'),
    webhookTimeoutMs: count('WEBHOOK_TIMEOUT_MS', WEBHOOK_WORKER_DEFAULTS.timeoutMs),
    webhookConcurrency: count('WEBHOOK_CONCURRENCY', WEBHOOK_WORKER_DEFAULTS.concurrency),
    webhookRetry: {
      maxAttempts: count('WEBHOOK_MAX_ATTEMPTS', DEFAULT_WEBHOOK_RETRY_POLICY.maxAttempts),
      baseDelayMs: count('WEBHOOK_RETRY_BASE_MS', DEFAULT_WEBHOOK_RETRY_POLICY.baseDelayMs),
      maxDelayMs: count('WEBHOOK_RETRY_MAX_MS', DEFAULT_WEBHOOK_RETRY_POLICY.maxDelayMs),
    },
    webhookRetentionDays: count('WEBHOOK_RETENTION_DAYS', WEBHOOK_WORKER_DEFAULTS.retentionDays),
    signingKey: {
      pem: env.WEBHOOK_SIGNING_KEY_FILE
        ? readFileSync(env.WEBHOOK_SIGNING_KEY_FILE, 'utf8')
        : env.WEBHOOK_SIGNING_KEY || undefined,
      encryptionKey: env.SECRETS_KEY || undefined,
    },
    webhookAllowInternalTargets: onOff(
      'WEBHOOK_ALLOW_INTERNAL_TARGETS',
      env.WEBHOOK_ALLOW_INTERNAL_TARGETS ?? 'off',
    ),
    metricsPort: env.METRICS_PORT ? portNumber('METRICS_PORT', env.METRICS_PORT) : undefined,
    dashboard: onOff('DASHBOARD', env.DASHBOARD ?? 'on'),
    dashboardPassword: env.DASHBOARD_PASSWORD || undefined,
  }
}

function portNumber(name: string, value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number, got "${value}"`)
  return port
}

function onOff(name: string, value: string): boolean {
  if (value === 'on' || value === 'true' || value === '1') return true
  if (value === 'off' || value === 'false' || value === '0') return false
  throw new Error(`${name} must be on or off, got "${value}"`)
}

function positiveInteger(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`)
  return n
}
