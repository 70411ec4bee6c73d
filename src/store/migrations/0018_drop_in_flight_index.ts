import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * The per-endpoint count of deliveries in flight read this index; since one worker at a time holds
 * an endpoint (migration 0017) nothing reads it, and every claim paid an entry in it.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_in_flight_idx').ifExists().execute()
}
