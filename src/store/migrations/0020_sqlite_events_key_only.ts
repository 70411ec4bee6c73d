import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * SQLite's events are keyed by their rowid id alone; the index on (location_id, id) served reads
 * of a location's newest events, which now range over the rowid (a location's new events follow
 * every earlier event, writers being serialised) or an activity's window. Every event written
 * paid an entry in it. PostgreSQL's key is (location_id, id) itself and stays.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') await db.schema.dropIndex('events_location_idx').execute()
}
