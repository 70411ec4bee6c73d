import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

const OPEN_DELIVERY = sql<boolean>`state IN ('pending', 'delivering')`

/**
 * Webhook registrations, one delivery row per (webhook, event), the instance's Ed25519 signing
 * key, the activity that wrote each event (what undo reads back), and undo activities.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    /** Sent as `appId` in every payload (HighLevel's SDK middleware checks it against its client id). */
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    /** Failed attempts in a row at this endpoint; reset by any success. */
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    /** While set and in the future, nothing is sent to this endpoint (endpoint-level backoff). */
    .addColumn('paused_until', 'text')
    .addPrimaryKeyConstraint('webhooks_pkey', ['location_id', 'id'])
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['location_id', 'webhook_id', 'event_id'])
    .addForeignKeyConstraint(
      'webhook_deliveries_webhook_fkey',
      ['location_id', 'webhook_id'],
      'webhooks',
      ['location_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .execute()
  // Only open deliveries (pending or being delivered) are indexed for the queue, so delivered
  // rows kept for reporting never slow it down. Queries repeat this exact predicate as a literal
  // so both engines can prove the partial index applies.
  // Each webhook's open deliveries in event order: what to lease next.
  await db.schema
    .createIndex('webhook_deliveries_open_idx')
    .on('webhook_deliveries')
    .columns(['location_id', 'webhook_id', 'event_id'])
    .where(OPEN_DELIVERY)
    .execute()
  // Each webhook's deliveries in flight (its concurrency in use): a handful of rows at most.
  await db.schema
    .createIndex('webhook_deliveries_in_flight_idx')
    .on('webhook_deliveries')
    .columns(['location_id', 'webhook_id', 'lease_expires_at'])
    .where(sql<boolean>`state = 'delivering'`)
    .execute()
  // Per-contact order: is there an earlier open delivery of this contact to this webhook?
  await db.schema
    .createIndex('webhook_deliveries_open_contact_idx')
    .on('webhook_deliveries')
    .columns(['location_id', 'webhook_id', 'contact_id', 'event_id'])
    .where(OPEN_DELIVERY)
    .execute()
  // Pruning of old successful deliveries.
  await db.schema
    .createIndex('webhook_deliveries_delivered_idx')
    .on('webhook_deliveries')
    .columns(['delivered_at'])
    .where(sql.ref('state'), '=', 'delivered')
    .execute()

  await db.schema
    .createTable('signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('private_key_pem', 'text', (c) => c.notNull())
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema.alterTable('activities').addColumn('undo_of', 'text').execute()
  await db.schema
    .alterTable('activities')
    .addColumn('items_skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()

  await db.schema.alterTable('events').addColumn('activity_id', 'text').execute()
  await db.schema
    .createIndex('events_activity_idx')
    .on('events')
    .columns(['location_id', 'activity_id', 'id'])
    .where(sql.ref('activity_id'), 'is not', null)
    .execute()
  if (dialect === 'postgres') await sql`ANALYZE events`.execute(db)
}
