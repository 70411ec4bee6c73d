import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * The names of the tags an activity works on, as they were when it was created (JSON array):
 * a contacts_tags_delete keeps them, so its undo can recreate the tags it deleted. Null for
 * other kinds, and for deletions made before this migration (those cannot be undone).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('activities').addColumn('tag_names', 'text').execute()
}
