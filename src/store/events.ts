import type { Selectable } from 'kysely'
import type { Db } from './database.js'
import type { EventsTable } from './schema.js'

export const CONTACT_TAG_UPDATE = 'ContactTagUpdate'

export type EventRow = Selectable<EventsTable>

export type ContactTagUpdate = {
  contactId: string
  tagsAdded: readonly string[]
  tagsRemoved: readonly string[]
}

/**
 * One ContactTagUpdate row per contact whose tags changed. Callers run this in the transaction
 * that made the change, so an event exists if and only if the change does.
 */
export async function appendContactTagUpdates(
  db: Db,
  locationId: string,
  updates: readonly ContactTagUpdate[],
  source: string,
  now: string,
): Promise<void> {
  // Seven parameters a row: batches stay under SQLite's 32766 and PostgreSQL's 65535 limits.
  for (let start = 0; start < updates.length; start += EVENT_ROWS_PER_STATEMENT) {
    await insertEventBatch(
      db,
      locationId,
      updates.slice(start, start + EVENT_ROWS_PER_STATEMENT),
      source,
      now,
    )
  }
}

const EVENT_ROWS_PER_STATEMENT = 2000

async function insertEventBatch(
  db: Db,
  locationId: string,
  updates: readonly ContactTagUpdate[],
  source: string,
  now: string,
): Promise<void> {
  await db.kysely
    .insertInto('events')
    .values(
      updates.map((u) => ({
        location_id: locationId,
        contact_id: u.contactId,
        type: CONTACT_TAG_UPDATE,
        tags_added: JSON.stringify(u.tagsAdded),
        tags_removed: JSON.stringify(u.tagsRemoved),
        source,
        created_at: now,
      })),
    )
    .execute()
}

/** Events for every live contact carrying a tag that is about to be deleted, in one INSERT ... SELECT. */
export async function appendTagRemovalForHolders(
  db: Db,
  locationId: string,
  tagId: string,
  tagName: string,
  source: string,
  now: string,
): Promise<number> {
  const result = await db.kysely
    .insertInto('events')
    .columns(['location_id', 'contact_id', 'type', 'tags_added', 'tags_removed', 'source', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('contact_tags')
        .innerJoin('contacts', (join) =>
          join
            .onRef('contacts.location_id', '=', 'contact_tags.location_id')
            .onRef('contacts.id', '=', 'contact_tags.contact_id'),
        )
        .select((s) => [
          'contact_tags.location_id',
          'contact_tags.contact_id',
          s.val(CONTACT_TAG_UPDATE).as('type'),
          s.val('[]').as('tags_added'),
          s.val(JSON.stringify([tagName])).as('tags_removed'),
          s.val(source).as('source'),
          s.val(now).as('created_at'),
        ])
        .where('contact_tags.location_id', '=', locationId)
        .where('contact_tags.tag_id', '=', tagId)
        .where('contacts.deleted_at', 'is', null)
        .orderBy('contact_tags.contact_id'),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0n)
}

export async function listEvents(db: Db, locationId: string, contactId?: string): Promise<EventRow[]> {
  return db.kysely
    .selectFrom('events')
    .selectAll()
    .where('location_id', '=', locationId)
    .$if(contactId !== undefined, (q) => q.where('contact_id', '=', contactId as string))
    .orderBy('id')
    .execute()
}
