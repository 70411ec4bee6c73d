import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import {
  listWebhooksWithHealth,
  redriveWebhookDeliveries,
  registerWebhook,
  removeWebhook,
  rotateWebhookSigningKey,
  webhookSigningKey,
} from '../services/webhooks.js'
import { print, withDatabase } from './runtime.js'

/** `webhook add|list|remove|redrive|public-key`. */
export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('manage ContactTagUpdate webhooks')
  webhook
    .command('add')
    .description('register a URL to receive signed ContactTagUpdate events of a location')
    .requiredOption('--location <id>', 'location whose events are sent')
    .requiredOption('--url <url>', 'http(s) URL to POST each event to')
    .option('--app-id <appId>', 'appId put in every payload (default: the webhook id)')
    .option('--events <types>', 'also send these, comma-separated: ContactCreate,ContactDelete')
    .action((options: { location: string; url: string; appId?: string; events?: string }, command: Command) =>
      withDatabase(async (database) => {
        const { events, ...given } = options
        const row = await registerWebhook(
          database,
          options.location,
          { ...given, ...(events ? { events: events.split(',').map((e) => e.trim()) } : {}) },
          { allowInternal: loadConfig().webhookAllowInternalTargets },
        )
        print(command, {
          id: row.id,
          locationId: row.location_id,
          url: row.url,
          appId: row.app_id,
          events: row.event_types,
          createdAt: row.created_at,
        })
      }),
    )
  webhook
    .command('list')
    .description("a location's webhooks with their deliveries by state")
    .requiredOption('--location <id>', 'location')
    .action((options: { location: string }, command: Command) =>
      withDatabase(async (database) => {
        const rows = await listWebhooksWithHealth(database, options.location)
        print(
          command,
          rows.map((w) => ({
            id: w.id,
            url: w.url,
            deliveries: w.deliveries,
            consecutiveFailures: w.consecutive_failures,
            pausedUntil: w.paused_until,
            lastError: w.last_error === null ? null : `${w.last_error.message} (${w.last_error.at})`,
          })),
        )
      }),
    )
  webhook
    .command('remove')
    .description('unregister a webhook; deliveries still owed to it are dropped')
    .requiredOption('--location <id>', 'location')
    .requiredOption('--id <webhookId>', 'webhook id')
    .action((options: { location: string; id: string }, command: Command) =>
      withDatabase(async (database) => {
        await removeWebhook(database, options.location, options.id)
        print(command, { removed: options.id })
      }),
    )
  webhook
    .command('redrive')
    .description('queue dead deliveries again (of one webhook, or of every webhook of the location)')
    .requiredOption('--location <id>', 'location')
    .option('--id <webhookId>', 'only this webhook')
    .action((options: { location: string; id?: string }, command: Command) =>
      withDatabase(async (database) => {
        print(command, { redriven: await redriveWebhookDeliveries(database, options.location, options.id) })
      }),
    )
  webhook
    .command('public-key')
    .description('print the PEM public key receivers verify x-ghl-signature with')
    .action(() =>
      withDatabase(async (database) => {
        process.stdout.write((await webhookSigningKey(database, loadConfig().signingKey)).publicKeyPem)
      }),
    )
  webhook
    .command('rotate-key')
    .description(
      'replace the stored signing key with a new one and print its public key; give receivers the new key and restart workers',
    )
    .action(() =>
      withDatabase(async (database) => {
        process.stdout.write((await rotateWebhookSigningKey(database, loadConfig().signingKey)).publicKeyPem)
      }),
    )
}
