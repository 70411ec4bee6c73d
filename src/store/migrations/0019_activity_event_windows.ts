import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * An activity's events are found by the id window they were written in (recorded on the activity
 * as its chunks log them) instead of an index on `events.activity_id`: the window is a range of
 * the events' own key, read in id order with the activity checked on each row, and every event
 * written no longer pays an entry in a third index (a fourth B-tree on SQLite). The count is kept
 * beside it, as an undo's total. Existing activities get theirs from the index before it goes.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('activities').addColumn('first_event_id', 'bigint').execute()
  await db.schema.alterTable('activities').addColumn('last_event_id', 'bigint').execute()
  await db.schema
    .alterTable('activities')
    .addColumn('events_logged', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`
    UPDATE activities SET
      first_event_id = w.first_event_id,
      last_event_id = w.last_event_id,
      events_logged = w.events_logged
    FROM (
      SELECT location_id, activity_id, min(id) AS first_event_id, max(id) AS last_event_id,
        count(*) AS events_logged
      FROM events
      WHERE activity_id IS NOT NULL
      GROUP BY location_id, activity_id
    ) AS w
    WHERE activities.location_id = w.location_id AND activities.id = w.activity_id`.execute(db)
  await db.schema.dropIndex('events_activity_idx').execute()
  if (dialect === 'postgres') await sql`ANALYZE activities`.execute(db)
}
