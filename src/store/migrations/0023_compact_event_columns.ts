import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Every changed contact writes one event, and on PostgreSQL each byte of it is about a byte of WAL
 * per changed contact; three of its columns held text where a fixed-size value says the same:
 *
 * - `type` becomes a code (EVENT_TYPE_CODES in store/events.ts): on PostgreSQL a smallint, 2 bytes
 *   (`ContactTagUpdate` took 17); SQLite's text column holds the code's digit.
 * - PostgreSQL: `created_at` becomes a timestamptz, 8 bytes (the ISO string took 25). It reads
 *   back as the same ISO string (the timestamptz type parser in store/database.ts).
 * - PostgreSQL: `activity_id` becomes a uuid, 16 bytes (37). Activity ids are the random UUIDs the
 *   activities service mints, and events hold nothing else there.
 *
 * Existing rows are converted in place: one rewrite of the table on PostgreSQL, one UPDATE on
 * SQLite (whose text columns take any value, so only the type's values change there). A value
 * these casts refuse fails the migration, which then leaves the table as it was.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const code = sql`CASE type WHEN 'ContactTagUpdate' THEN 1 WHEN 'ContactCreate' THEN 2 WHEN 'ContactDelete' THEN 3 END`
  if (dialect === 'sqlite') {
    await sql`UPDATE events SET type = ${code}`.execute(db)
    return
  }
  await sql`
    ALTER TABLE events
      ALTER COLUMN type TYPE smallint USING ${code},
      ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
      ALTER COLUMN activity_id TYPE uuid USING activity_id::uuid`.execute(db)
}
