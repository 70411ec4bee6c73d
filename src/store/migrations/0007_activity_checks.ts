import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Activity kinds and states are closed sets (domain/activities.ts); the database refuses anything
 * else. The lists are written out here, frozen with this migration: a new kind or state comes
 * with a migration that widens them. PostgreSQL gets CHECK constraints; SQLite cannot add one to
 * an existing table without rebuilding it, so triggers refuse the same rows.
 */
const KINDS = [
  'contacts_taggings_add',
  'contacts_taggings_remove',
  'contacts_tags_delete',
  'contacts_taggings_undo',
]
const STATES = ['initialized', 'processing', 'completed', 'failed', 'cancelled']

function list(values: readonly string[]) {
  return sql.join(values.map((v) => sql.lit(v)))
}

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`ALTER TABLE activities ADD CONSTRAINT activities_kind_check CHECK (kind IN (${list(KINDS)}))`.execute(
      db,
    )
    await sql`ALTER TABLE activities ADD CONSTRAINT activities_state_check CHECK (state IN (${list(STATES)}))`.execute(
      db,
    )
    return
  }
  for (const event of ['INSERT', 'UPDATE'] as const) {
    await sql`CREATE TRIGGER ${sql.raw(`activities_check_${event.toLowerCase()}`)} BEFORE ${sql.raw(event)} ON activities
      WHEN NEW.kind NOT IN (${list(KINDS)}) OR NEW.state NOT IN (${list(STATES)})
      BEGIN SELECT RAISE(ABORT, 'activities: unknown kind or state'); END`.execute(db)
  }
}
