import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/** EVENT_TYPE_CODES.ContactTagUpdate (store/events.ts), as migration 0023 stored it. */
const CONTACT_TAG_UPDATE_CODE = 1

/**
 * A contact's tag changes are found by a chain instead of an index on (location_id, contact_id,
 * id): `contacts.last_tag_event_id` names the contact's newest ContactTagUpdate event and each such
 * event's `previous_tag_event_id` the one before it. The readers want a few contacts' changes after
 * a mark (an undo's chunk, a webhook lease), which is a walk from the contact back to the mark,
 * usually zero steps.
 *
 * The index cost every event an entry at its contact's place in the index, so a page of its own
 * per changed contact: on SQLite it was 41% of a small bulk request's CPU in the engine
 * (0.52 -> 0.31 ms a request in-process, 10 ids x 2 tags, 10 concurrent callers), on PostgreSQL
 * ~120 B of WAL per changed contact (bench:activity, 100 000 contacts, add 1 453 -> 1 335 B/c).
 * The chain costs 8 bytes on the event and a column of the contact row the same writes already
 * touch. Lifecycle events (ContactCreate, ContactDelete) change no tags and are not in the chain.
 *
 * Existing rows are linked here, from the index, which is dropped last.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const idType = dialect === 'sqlite' ? 'integer' : 'bigint'
  await db.schema.alterTable('contacts').addColumn('last_tag_event_id', idType).execute()
  await db.schema.alterTable('events').addColumn('previous_tag_event_id', idType).execute()
  const code = sql.lit(CONTACT_TAG_UPDATE_CODE)
  await sql`
    UPDATE events SET previous_tag_event_id = linked.previous_id
    FROM (
      SELECT location_id, id,
        lag(id) OVER (PARTITION BY location_id, contact_id ORDER BY id) AS previous_id
      FROM events WHERE type = ${code}
    ) AS linked
    WHERE events.location_id = linked.location_id AND events.id = linked.id
      AND linked.previous_id IS NOT NULL`.execute(db)
  await sql`
    UPDATE contacts SET last_tag_event_id = newest.id
    FROM (
      SELECT location_id, contact_id, max(id) AS id FROM events WHERE type = ${code}
      GROUP BY location_id, contact_id
    ) AS newest
    WHERE contacts.location_id = newest.location_id AND contacts.id = newest.contact_id`.execute(db)
  await db.schema.dropIndex('events_contact_idx').execute()
}
