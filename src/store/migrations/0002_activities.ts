import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Asynchronous activities (Constant Contact dialect) and what that dialect and its selectors need:
 * - lists.description / favorite, tags.tag_source: Constant Contact fields;
 * - contacts.subscribed_at / unsubscribed_at: "active" and "new subscriber" selectors;
 * - a creation order for contacts, so an activity covers only contacts that existed when it
 *   started: PostgreSQL gets an identity column `seq`; SQLite uses the table's rowid, which
 *   grows with every insert because contacts are never physically deleted.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('subscribed_at', 'text').execute()
  await db.schema.alterTable('contacts').addColumn('unsubscribed_at', 'text').execute()
  await sql`UPDATE contacts SET subscribed_at = created_at`.execute(db)
  if (dialect === 'postgres') {
    await sql`ALTER TABLE contacts ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`.execute(db)
  }
  await db.schema.alterTable('tags').addColumn('tag_source', 'text').execute()
  await db.schema.alterTable('lists').addColumn('description', 'text').execute()
  await db.schema
    .alterTable('lists')
    .addColumn('favorite', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()

  await db.schema
    .createTable('activities')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    /** JSON: the tag ids to add, remove or delete. */
    .addColumn('tag_ids', 'text', (c) => c.notNull())
    /** JSON ContactSelector; null for contacts_tags_delete. */
    .addColumn('selector', 'text')
    /** Contacts created after this creation order are not covered (fixed when the activity starts). */
    .addColumn('snapshot_seq', 'bigint')
    /** Last contact id processed: work resumes after it. */
    .addColumn('cursor', 'text')
    .addColumn('items_total', 'integer')
    .addColumn('items_completed', 'integer', (c) => c.notNull().defaultTo(0))
    /** JSON array of messages. */
    .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addPrimaryKeyConstraint('activities_pkey', ['location_id', 'id'])
    .execute()
  // Claiming looks across tenants for runnable work, oldest first.
  await db.schema
    .createIndex('activities_runnable_idx')
    .on('activities')
    .columns(['state', 'created_at'])
    .execute()
  await db.schema
    .createIndex('activities_location_created_idx')
    .on('activities')
    .columns(['location_id', 'created_at'])
    .execute()
}
