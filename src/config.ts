import type { RateLimitPolicy } from './domain/rateLimits.js'
import type { WebhookRetryPolicy } from './domain/webhooks.js'

/** Settings read from the environment; every one has a default that works on a fresh machine. */
export type Config = {
  port: number
  host: string
  databaseUrl: string
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
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/tagbase.db'

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`)
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    logLevel: env.LOG_LEVEL ?? 'info',
    workerInServe: onOff('ACTIVITY_WORKER', env.ACTIVITY_WORKER ?? 'on'),
    activityChunkSize: positiveInteger('ACTIVITY_CHUNK_SIZE', env.ACTIVITY_CHUNK_SIZE ?? '5000'),
    activityLeaseMs: positiveInteger('ACTIVITY_LEASE_MS', env.ACTIVITY_LEASE_MS ?? '30000'),
    newSubscriberDays: positiveInteger('NEW_SUBSCRIBER_DAYS', env.NEW_SUBSCRIBER_DAYS ?? '30'),
    rateLimit: {
      burstMax: positiveInteger('RATE_LIMIT_BURST', env.RATE_LIMIT_BURST ?? '100'),
      burstIntervalMs: positiveInteger('RATE_LIMIT_INTERVAL_MS', env.RATE_LIMIT_INTERVAL_MS ?? '10000'),
      dailyMax: positiveInteger('RATE_LIMIT_DAILY', env.RATE_LIMIT_DAILY ?? '200000'),
    },
    redisUrl: env.REDIS_URL || undefined,
    webhookWorker: onOff('WEBHOOK_WORKER', env.WEBHOOK_WORKER ?? 'on'),
    webhookTimeoutMs: positiveInteger('WEBHOOK_TIMEOUT_MS', env.WEBHOOK_TIMEOUT_MS ?? '10000'),
    webhookConcurrency: positiveInteger('WEBHOOK_CONCURRENCY', env.WEBHOOK_CONCURRENCY ?? '16'),
    webhookRetry: {
      maxAttempts: positiveInteger('WEBHOOK_MAX_ATTEMPTS', env.WEBHOOK_MAX_ATTEMPTS ?? '10'),
      baseDelayMs: positiveInteger('WEBHOOK_RETRY_BASE_MS', env.WEBHOOK_RETRY_BASE_MS ?? '10000'),
      maxDelayMs: positiveInteger('WEBHOOK_RETRY_MAX_MS', env.WEBHOOK_RETRY_MAX_MS ?? '3600000'),
    },
    webhookRetentionDays: positiveInteger('WEBHOOK_RETENTION_DAYS', env.WEBHOOK_RETENTION_DAYS ?? '7'),
  }
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
