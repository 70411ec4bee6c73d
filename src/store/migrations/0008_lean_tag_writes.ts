import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Tag rows are written by the hundred thousand; their foreign keys cost a lookup per row (on
 * PostgreSQL a trigger and a row lock on the contact, ~45% of an activity's insert) to check what
 * the writer already holds: the contacts it read in the same transaction (contacts are never
 * deleted, only marked) and the tags it read and locked (FOR KEY SHARE) there. So contact_tags
 * keeps its keys and loses its foreign keys; deleting a tag deletes its rows explicitly
 * (store/tags.ts deleteTag) where the cascade did.
 *
 * PostgreSQL: contacts get a fillfactor of 80, so that touching updated_at (not indexed) finds
 * room on the same page and is a HOT update, with no new index entries. It applies to pages
 * written from now on; `VACUUM FULL contacts` applies it to an existing table.
 *
 * SQLite cannot drop a constraint: the table is rebuilt (a copy of its rows, once).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`ALTER TABLE contact_tags DROP CONSTRAINT contact_tags_contact_fkey`.execute(db)
    await sql`ALTER TABLE contact_tags DROP CONSTRAINT contact_tags_tag_fkey`.execute(db)
    await sql`ALTER TABLE contacts SET (fillfactor = 80)`.execute(db)
    return
  }
  await db.schema
    .createTable('contact_tags_rebuilt')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_tags_pkey', ['location_id', 'contact_id', 'tag_id'])
    .execute()
  await sql`INSERT INTO contact_tags_rebuilt (location_id, contact_id, tag_id, created_at)
    SELECT location_id, contact_id, tag_id, created_at FROM contact_tags`.execute(db)
  await db.schema.dropTable('contact_tags').execute()
  await sql`ALTER TABLE contact_tags_rebuilt RENAME TO contact_tags`.execute(db)
  await db.schema
    .createIndex('contact_tags_tag_idx')
    .on('contact_tags')
    .columns(['location_id', 'tag_id', 'contact_id'])
    .execute()
}
