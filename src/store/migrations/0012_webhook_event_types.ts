import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Which contact events each webhook receives, space-separated (domain/webhooks.ts). Existing
 * webhooks keep receiving what they did: ContactTagUpdate alone.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('webhooks')
    .addColumn('event_types', 'text', (c) => c.notNull().defaultTo('ContactTagUpdate'))
    .execute()
}
