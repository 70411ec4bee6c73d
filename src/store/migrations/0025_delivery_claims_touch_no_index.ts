import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * The queue's indexes name `closed_at` (set once, when a delivery is delivered or dead; cleared
 * when a dead one is redriven) instead of `state`. Every index of webhook_deliveries named `state`
 * in its predicate, so each claim (pending -> delivering), release and retry wrote a new entry into
 * all three for every row it leased, and on PostgreSQL could never be a HOT update. Now those
 * writes change only columns no index reads (state, attempts, next_attempt_at, the lease, the last
 * outcome). PostgreSQL: the table leaves nearly two thirds of each page free (fillfactor 35). A
 * lease claims a run of consecutive rows in one statement, so none of their old versions can be
 * pruned before each new one needs its room on the same page (as for contacts, 0022), and a leased
 * version is ~1.4x the queued one (the lease's owner and expiry fill columns that were null): at
 * 50, 443 of 512 claims were HOT; at 40, 484 of 512 with a Kubernetes-length host name; at 35, all
 * (test/store/webhookDeliveryWrites.test.ts). `VACUUM FULL webhook_deliveries` applies it to rows
 * written before. A dead delivery's closing time was not kept: its last scheduled attempt stands
 * in for it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('webhook_deliveries').addColumn('closed_at', 'text').execute()
  await sql`UPDATE webhook_deliveries SET closed_at = COALESCE(delivered_at, next_attempt_at)
    WHERE state NOT IN ('pending', 'delivering')`.execute(db)
  for (const name of [
    'webhook_deliveries_open_idx',
    'webhook_deliveries_open_contact_idx',
    'webhook_deliveries_delivered_idx',
  ])
    await db.schema.dropIndex(name).execute()
  const open = sql<boolean>`closed_at IS NULL`
  // Each webhook's open deliveries in event order: what to lease next.
  await db.schema
    .createIndex('webhook_deliveries_open_idx')
    .on('webhook_deliveries')
    .columns(['location_id', 'webhook_id', 'event_id'])
    .where(open)
    .execute()
  // Per-contact order: is there an earlier open delivery of this contact to this webhook?
  await db.schema
    .createIndex('webhook_deliveries_open_contact_idx')
    .on('webhook_deliveries')
    .columns(['location_id', 'webhook_id', 'contact_id', 'event_id'])
    .where(open)
    .execute()
  // Pruning of old successful deliveries (only those have delivered_at).
  await db.schema
    .createIndex('webhook_deliveries_delivered_idx')
    .on('webhook_deliveries')
    .columns(['delivered_at'])
    .where(sql<boolean>`delivered_at IS NOT NULL`)
    .execute()
  if (dialect === 'postgres') await sql`ALTER TABLE webhook_deliveries SET (fillfactor = 35)`.execute(db)
}
