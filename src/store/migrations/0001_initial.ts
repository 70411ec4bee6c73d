import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Every tenant-owned table is keyed by (location_id, ...) so the schema can later be sharded
 * by location. The only lookups that cross locations are by globally unique random ids:
 * contacts by id (to tell "not found" from "belongs to another location") and tokens by hash.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('locations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('contacts')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('email_lower', 'text')
    .addColumn('phone', 'text')
    .addColumn('company_name', 'text')
    .addColumn('address1', 'text')
    .addColumn('city', 'text')
    .addColumn('state', 'text')
    .addColumn('postal_code', 'text')
    .addColumn('country', 'text')
    .addColumn('website', 'text')
    .addColumn('timezone', 'text')
    .addColumn('source', 'text')
    .addColumn('date_of_birth', 'text')
    .addColumn('assigned_to', 'text')
    .addColumn('dnd', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addPrimaryKeyConstraint('contacts_pkey', ['location_id', 'id'])
    .execute()
  await db.schema.createIndex('contacts_id_idx').on('contacts').column('id').execute()
  // Partial, so that no index but the primary key matches "location_id = ? AND id = ?" alone.
  // Otherwise PostgreSQL's foreign-key checks, planned generically before the table has
  // statistics, may pick one of these and walk every contact of the location for each row.
  await db.schema
    .createIndex('contacts_email_idx')
    .on('contacts')
    .columns(['location_id', 'email_lower'])
    .where('email_lower', 'is not', null)
    .execute()
  await db.schema
    .createIndex('contacts_phone_idx')
    .on('contacts')
    .columns(['location_id', 'phone'])
    .where('phone', 'is not', null)
    .execute()

  await db.schema
    .createTable('tags')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pkey', ['location_id', 'id'])
    .addUniqueConstraint('tags_name_key', ['location_id', 'name'])
    .execute()

  await db.schema
    .createTable('contact_tags')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_tags_pkey', ['location_id', 'contact_id', 'tag_id'])
    .addForeignKeyConstraint('contact_tags_contact_fkey', ['location_id', 'contact_id'], 'contacts', [
      'location_id',
      'id',
    ])
    .addForeignKeyConstraint(
      'contact_tags_tag_fkey',
      ['location_id', 'tag_id'],
      'tags',
      ['location_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .execute()
  await db.schema
    .createIndex('contact_tags_tag_idx')
    .on('contact_tags')
    .columns(['location_id', 'tag_id', 'contact_id'])
    .execute()

  await db.schema
    .createTable('lists')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lists_pkey', ['location_id', 'id'])
    .addUniqueConstraint('lists_name_key', ['location_id', 'name'])
    .execute()

  await db.schema
    .createTable('list_memberships')
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('list_memberships_pkey', ['location_id', 'list_id', 'contact_id'])
    .addForeignKeyConstraint(
      'list_memberships_list_fkey',
      ['location_id', 'list_id'],
      'lists',
      ['location_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('list_memberships_contact_fkey', ['location_id', 'contact_id'], 'contacts', [
      'location_id',
      'id',
    ])
    .execute()
  await db.schema
    .createIndex('list_memberships_contact_idx')
    .on('list_memberships')
    .columns(['location_id', 'contact_id'])
    .execute()

  await db.schema
    .createTable('access_tokens')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addPrimaryKeyConstraint('access_tokens_pkey', ['location_id', 'id'])
    .execute()

  // Event ids give a total order for delivery; each engine spells auto-increment its own way.
  if (dialect === 'postgres') {
    await sql`
      CREATE TABLE events (
        location_id text NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        contact_id text NOT NULL,
        type text NOT NULL,
        tags_added text NOT NULL,
        tags_removed text NOT NULL,
        source text NOT NULL,
        created_at text NOT NULL,
        PRIMARY KEY (location_id, id)
      )`.execute(db)
  } else {
    await sql`
      CREATE TABLE events (
        id integer PRIMARY KEY AUTOINCREMENT,
        location_id text NOT NULL,
        contact_id text NOT NULL,
        type text NOT NULL,
        tags_added text NOT NULL,
        tags_removed text NOT NULL,
        source text NOT NULL,
        created_at text NOT NULL
      )`.execute(db)
    await db.schema.createIndex('events_location_idx').on('events').columns(['location_id', 'id']).execute()
  }
  await db.schema
    .createIndex('events_contact_idx')
    .on('events')
    .columns(['location_id', 'contact_id', 'id'])
    .execute()
}
