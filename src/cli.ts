#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander'
import pino from 'pino'
import { loadConfig } from './config.js'
import { parseScopeList, SCOPES, type Scope } from './domain/scopes.js'
import { buildApp } from './http/app.js'
import { cancelActivity } from './services/activities.js'
import { createAccessToken, createLocation } from './services/admin.js'
import { createRateLimiter } from './services/rateLimiter.js'
import { createUndoActivity } from './services/undoActivity.js'
import {
  listWebhooksWithHealth,
  redriveWebhookDeliveries,
  registerWebhook,
  removeWebhook,
  webhookSigningKey,
} from './services/webhooks.js'
import { type Database, openDatabase } from './store/database.js'
import { migrateToLatest } from './store/migrate.js'
import { ActivityWorker, type ActivityWorkerOptions } from './worker/activityWorker.js'
import { WebhookDeliveryWorker, type WebhookWorkerOptions } from './worker/webhookWorker.js'

/** Opens the configured database with the schema brought up to date. */
async function openMigrated(): Promise<Database> {
  const database = openDatabase(loadConfig().databaseUrl)
  try {
    await migrateToLatest(database)
  } catch (error) {
    await database.close()
    throw error
  }
  return database
}

async function withDatabase(work: (database: Database) => Promise<void>): Promise<void> {
  const database = await openMigrated()
  try {
    await work(database)
  } finally {
    await database.close()
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

function scopesOption(raw: string): Scope[] {
  const { scopes, unknown } = parseScopeList(raw)
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`)
  if (scopes.length === 0) throw new InvalidArgumentError('name at least one scope')
  return scopes
}

function workerFor(
  database: Database,
  config: ReturnType<typeof loadConfig>,
  logger: ActivityWorkerOptions['logger'],
) {
  return new ActivityWorker(database, {
    chunkSize: config.activityChunkSize,
    leaseMs: config.activityLeaseMs,
    newSubscriberDays: config.newSubscriberDays,
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

function webhookWorkerFor(
  database: Database,
  config: ReturnType<typeof loadConfig>,
  logger: WebhookWorkerOptions['logger'],
) {
  if (!config.webhookWorker) return undefined
  return new WebhookDeliveryWorker(database, {
    timeoutMs: config.webhookTimeoutMs,
    concurrency: config.webhookConcurrency,
    retry: config.webhookRetry,
    retentionMs: config.webhookRetentionDays * 86_400_000,
    logger,
  })
}

async function serve(): Promise<void> {
  const config = loadConfig()
  const database = await openMigrated()
  let worker: ActivityWorker | undefined
  const rateLimiter = await createRateLimiter(
    { redisUrl: config.redisUrl, policy: config.rateLimit },
    pino({ level: config.logLevel }),
  )
  const app = await buildApp({
    database,
    logger: { level: config.logLevel },
    onActivityQueued: () => worker?.wake(),
    rateLimiter,
  })
  if (config.workerInServe) worker = workerFor(database, config, app.log)
  const webhooks = webhookWorkerFor(database, config, app.log)
  onShutdown(async () => {
    app.log.info('shutting down')
    await app.close()
    await Promise.all([worker?.stop(), webhooks?.stop()])
    await rateLimiter.close()
    await database.close()
  })
  await app.listen({ port: config.port, host: config.host })
  worker?.start()
  webhooks?.start()
}

async function work(): Promise<void> {
  const config = loadConfig()
  const database = await openMigrated()
  const logger = pino({ level: config.logLevel })
  const worker = workerFor(database, config, logger)
  const webhooks = webhookWorkerFor(database, config, logger)
  onShutdown(async () => {
    logger.info('shutting down')
    await Promise.all([worker.stop(), webhooks?.stop()])
    await database.close()
  })
  logger.info({ owner: worker.owner }, 'activity worker started')
  if (webhooks) logger.info({ owner: webhooks.owner }, 'webhook worker started')
  worker.start()
  webhooks?.start()
}

const program = new Command()
  .name('tagbase')
  .description('Contacts-tagging service speaking the HighLevel bulk tags API')
  .showHelpAfterError()

program
  .command('serve')
  .description(
    'run the HTTP API with an activity worker (unless ACTIVITY_WORKER=off) and a webhook worker (unless WEBHOOK_WORKER=off); migrates first',
  )
  .action(serve)
program
  .command('worker')
  .description('run an activity worker and a webhook delivery worker, no API (several may share PostgreSQL)')
  .action(work)

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(() =>
    withDatabase(async () => {
      printJson({ migrated: true })
    }),
  )

const location = program.command('location').description('manage locations (tenants)')
location
  .command('create')
  .requiredOption('--name <name>', 'display name')
  .action((options: { name: string }) =>
    withDatabase(async (database) => {
      const row = await createLocation(database, options.name)
      printJson({ id: row.id, name: row.name, createdAt: row.created_at })
    }),
  )

const token = program.command('token').description('manage access tokens')
token
  .command('create')
  .requiredOption('--location <id>', 'location the token acts for')
  .option('--scopes <list>', `comma-separated scopes (${SCOPES.join(', ')})`, scopesOption, [...SCOPES])
  .option('--name <name>', 'label to recognise the token by', 'cli')
  .action((options: { location: string; scopes: Scope[]; name: string }) =>
    withDatabase(async (database) => {
      const issued = await createAccessToken(database, options.location, options.scopes, options.name)
      printJson(issued)
    }),
  )

const activity = program.command('activity').description('manage asynchronous activities')
activity
  .command('cancel')
  .description('cancel an activity that has not finished; chunks already applied stay applied')
  .requiredOption('--location <id>', 'location the activity belongs to')
  .requiredOption('--id <activityId>', 'activity id')
  .action((options: { location: string; id: string }) =>
    withDatabase(async (database) => {
      const row = await cancelActivity(database, options.location, options.id)
      printJson({ activityId: row.id, state: row.state, itemsCompleted: row.items_completed })
    }),
  )

const webhook = program.command('webhook').description('manage ContactTagUpdate webhooks')
webhook
  .command('add')
  .description('register a URL to receive signed ContactTagUpdate events of a location')
  .requiredOption('--location <id>', 'location whose events are sent')
  .requiredOption('--url <url>', 'http(s) URL to POST each event to')
  .option('--app-id <appId>', 'appId put in every payload (default: the webhook id)')
  .action((options: { location: string; url: string; appId?: string }) =>
    withDatabase(async (database) => {
      const row = await registerWebhook(database, options.location, options)
      printJson({
        id: row.id,
        locationId: row.location_id,
        url: row.url,
        appId: row.app_id,
        createdAt: row.created_at,
      })
    }),
  )
webhook
  .command('list')
  .description("a location's webhooks with their deliveries by state")
  .requiredOption('--location <id>', 'location')
  .action((options: { location: string }) =>
    withDatabase(async (database) => {
      const rows = await listWebhooksWithHealth(database, options.location)
      printJson(
        rows.map((w) => ({
          id: w.id,
          url: w.url,
          deliveries: w.deliveries,
          consecutiveFailures: w.consecutive_failures,
          pausedUntil: w.paused_until,
        })),
      )
    }),
  )
webhook
  .command('remove')
  .description('unregister a webhook; deliveries still owed to it are dropped')
  .requiredOption('--location <id>', 'location')
  .requiredOption('--id <webhookId>', 'webhook id')
  .action((options: { location: string; id: string }) =>
    withDatabase(async (database) => {
      await removeWebhook(database, options.location, options.id)
      printJson({ removed: options.id })
    }),
  )
webhook
  .command('redrive')
  .description('queue dead deliveries again (of one webhook, or of every webhook of the location)')
  .requiredOption('--location <id>', 'location')
  .option('--id <webhookId>', 'only this webhook')
  .action((options: { location: string; id?: string }) =>
    withDatabase(async (database) => {
      printJson({ redriven: await redriveWebhookDeliveries(database, options.location, options.id) })
    }),
  )
webhook
  .command('public-key')
  .description('print the PEM public key receivers verify x-ghl-signature with')
  .action(() =>
    withDatabase(async (database) => {
      process.stdout.write((await webhookSigningKey(database)).publicKeyPem)
    }),
  )

activity
  .command('undo')
  .description('queue an undo of a finished add/remove activity; contacts changed since are left alone')
  .requiredOption('--location <id>', 'location the activity belongs to')
  .requiredOption('--id <activityId>', 'activity to undo')
  .action((options: { location: string; id: string }) =>
    withDatabase(async (database) => {
      const row = await createUndoActivity(database, options.location, options.id)
      printJson({ activityId: row.id, undoOf: row.undo_of, state: row.state })
    }),
  )

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`tagbase: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
