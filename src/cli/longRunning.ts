import pino from 'pino'
import { loadConfig } from '../config.js'
import { buildApp, buildOperatorApp } from '../http/app.js'
import { highLevelContactTagUpdate } from '../http/highlevel/webhookPayload.js'
import { listAllLocations } from '../services/admin.js'
import { ensureOperatorCredential } from '../services/operatorAccess.js'
import { createRateLimiter } from '../services/rateLimiter.js'
import type { Database } from '../store/database.js'
import { TAGBASE_VERSION } from '../version.js'
import { ActivityWorker, type ActivityWorkerOptions } from '../worker/activityWorker.js'
import { WebhookDeliveryWorker, type WebhookWorkerOptions } from '../worker/webhookWorker.js'
import { dashboardLoginUrl, listenerOrigin } from './operator.js'
import { openMigrated } from './runtime.js'

type Config = ReturnType<typeof loadConfig>

function activityWorkerFor(database: Database, config: Config, logger: ActivityWorkerOptions['logger']) {
  return new ActivityWorker(database, {
    chunkSize: config.activityChunkSize,
    leaseMs: config.activityLeaseMs,
    newSubscriberDays: config.newSubscriberDays,
    logger,
  })
}

function webhookWorkerFor(database: Database, config: Config, logger: WebhookWorkerOptions['logger']) {
  if (!config.webhookWorker) return undefined
  return new WebhookDeliveryWorker(database, {
    timeoutMs: config.webhookTimeoutMs,
    concurrency: config.webhookConcurrency,
    retry: config.webhookRetry,
    retentionMs: config.webhookRetentionDays * 86_400_000,
    targets: { allowInternal: config.webhookAllowInternalTargets },
    signingKey: config.signingKey,
    payload: highLevelContactTagUpdate,
    logger,
  })
}

/** Stops cleanly on SIGINT/SIGTERM: in-flight chunks commit, held activities are released. */
function onShutdown(close: () => Promise<void>): void {
  const shutdown = async () => {
    await close()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

/** A dropped pooled connection is logged and replaced; it never ends the process. */
function logConnectionErrors(logger: pino.Logger): (error: Error) => void {
  return (error) => logger.warn({ err: error }, 'database connection failed; dropped from the pool')
}

/**
 * The dashboard always needs a credential. On the first start there is none: issue one and print
 * its login link once (only its hash is kept); later starts say how to get a new one.
 */
async function announceFirstLogin(database: Database, config: Config): Promise<void> {
  const secret = await ensureOperatorCredential(database)
  if (secret)
    process.stdout.write(
      `Dashboard login link (shown once; \`tagbase operator token\` issues a new one):\n  ${dashboardLoginUrl(secret, config)}\n`,
    )
}

/**
 * The one human line `tagbase serve` prints on a terminal (the logs are JSON lines): where it
 * listens, and the next step when there is no location yet.
 */
export function startupLine(config: Pick<Config, 'host' | 'port'>, hasLocation: boolean): string {
  const origin = listenerOrigin(config)
  const next = hasLocation
    ? ''
    : `\n  No location yet: tagbase location create --name "My company", then tagbase token create --location <id>`
  return `Tagbase ${TAGBASE_VERSION} serving ${origin} (dashboard ${origin}/, API docs ${origin}/docs)${next}\n`
}

export async function serve(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  const database = await openMigrated(logConnectionErrors(logger))
  let worker: ActivityWorker | undefined
  const rateLimiter = await createRateLimiter({ redisUrl: config.redisUrl, policy: config.rateLimit }, logger)
  const app = await buildApp({
    database,
    logger: { level: config.logLevel },
    onActivityQueued: () => worker?.wake(),
    rateLimiter,
    webhookTargets: { allowInternal: config.webhookAllowInternalTargets },
    dashboard: config.dashboard ? { password: config.dashboardPassword } : false,
  })
  if (config.workerInServe) worker = activityWorkerFor(database, config, app.log)
  const webhooks = webhookWorkerFor(database, config, app.log)
  onShutdown(async () => {
    app.log.info('shutting down')
    await app.close()
    await Promise.all([worker?.stop(), webhooks?.stop()])
    await rateLimiter.close()
    await database.close()
  })
  await app.listen({ port: config.port, host: config.host })
  if (process.stdout.isTTY)
    process.stdout.write(startupLine(config, (await listAllLocations(database)).length > 0))
  if (config.dashboard) await announceFirstLogin(database, config)
  worker?.start()
  webhooks?.start()
}

export async function work(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  const database = await openMigrated(logConnectionErrors(logger))
  const worker = activityWorkerFor(database, config, logger)
  const webhooks = webhookWorkerFor(database, config, logger)
  const operator =
    config.metricsPort === undefined
      ? undefined
      : await buildOperatorApp({ database, logger: { level: config.logLevel } })
  onShutdown(async () => {
    logger.info('shutting down')
    await operator?.close()
    await Promise.all([worker.stop(), webhooks?.stop()])
    await database.close()
  })
  if (operator) await operator.listen({ port: config.metricsPort, host: config.host })
  logger.info({ owner: worker.owner }, 'activity worker started')
  if (webhooks) logger.info({ owner: webhooks.owner }, 'webhook worker started')
  worker.start()
  webhooks?.start()
}
