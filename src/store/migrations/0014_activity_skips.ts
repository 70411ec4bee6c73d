import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * The contacts an activity processed and did not change, with why ("already had every tag",
 * "deleted", an undo's reasons): one row per chunk and reason, the ids as a JSON array, written in
 * the chunk's transaction. With the events an activity wrote (its changes), they make its
 * per-contact results complete (GET /v3/activities/{id}/results). `seq` orders an activity's rows.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('activity_skips')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('activity_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('contact_ids', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_skips_pkey', ['location_id', 'activity_id', 'seq'])
    .execute()
}
