import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * The worker sending to an endpoint, and until when: one worker at a time holds an endpoint, so
 * its concurrency is counted by that worker's requests in flight (a lease can then hold many
 * waves of deliveries), and two workers looking at once cannot both start sending to it.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('sender_owner', 'text').execute()
  await db.schema.alterTable('webhooks').addColumn('sender_lease_expires_at', 'text').execute()
}
