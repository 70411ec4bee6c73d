import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * A tag row is its key (location, contact, tag) and nothing else: when a tag was added is in the
 * contact's events, and nothing read the row's own created_at. Every row written was ~25 bytes
 * wider for it (a third of a SQLite row, the same again in PostgreSQL's WAL). On SQLite the table
 * is rebuilt; PostgreSQL drops the column in its catalogue, and old rows keep their bytes until
 * rewritten.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('contact_tags').dropColumn('created_at').execute()
}
