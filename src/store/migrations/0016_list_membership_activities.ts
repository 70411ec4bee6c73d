import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * List-membership activities (add_list_memberships, remove_list_memberships) and their undo:
 * - the activity kinds' CHECK (migration 0007) widened by the three new kinds, written out again
 *   and frozen here (PostgreSQL: the constraint replaced; SQLite: the triggers recreated);
 * - `activities.list_ids`: the lists such an activity adds contacts to or removes them from (JSON);
 * - `list_membership_changes`: one row per (contact, list) an activity added or removed, written in
 *   the chunk's transaction. They are its per-contact results and what its undo reverts (tag
 *   changes have the events table for both).
 */
const KINDS = [
  'contacts_taggings_add',
  'contacts_taggings_remove',
  'contacts_tags_delete',
  'contacts_taggings_undo',
  'add_list_memberships',
  'remove_list_memberships',
  'list_memberships_undo',
]
const STATES = ['initialized', 'processing', 'completed', 'failed', 'cancelled']

function list(values: readonly string[]) {
  return sql.join(values.map((v) => sql.lit(v)))
}

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('activities').addColumn('list_ids', 'text').execute()
  if (dialect === 'postgres') {
    await sql`ALTER TABLE activities DROP CONSTRAINT activities_kind_check`.execute(db)
    await sql`ALTER TABLE activities ADD CONSTRAINT activities_kind_check CHECK (kind IN (${list(KINDS)}))`.execute(
      db,
    )
  } else {
    for (const event of ['INSERT', 'UPDATE'] as const) {
      const name = sql.raw(`activities_check_${event.toLowerCase()}`)
      await sql`DROP TRIGGER ${name}`.execute(db)
      await sql`CREATE TRIGGER ${name} BEFORE ${sql.raw(event)} ON activities
        WHEN NEW.kind NOT IN (${list(KINDS)}) OR NEW.state NOT IN (${list(STATES)})
        BEGIN SELECT RAISE(ABORT, 'activities: unknown kind or state'); END`.execute(db)
    }
  }
  await db.schema
    .createTable('list_membership_changes')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('activity_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull().check(sql`change IN ('added', 'removed')`))
    .addPrimaryKeyConstraint('list_membership_changes_pkey', [
      'location_id',
      'activity_id',
      'contact_id',
      'list_id',
    ])
    .execute()
}
