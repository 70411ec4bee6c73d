import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * SQLite: contacts and contact_tags become WITHOUT ROWID tables, stored in their primary key
 * order (location_id, id). As rowid tables a contact's row sat wherever its insertion put it, so
 * an activity chunk — 5000 contacts in id order — touched about 5000 scattered pages of contacts
 * to set updated_at, and the commit wrote them all; clustered by key the chunk is a run of
 * neighbouring pages. Measured on 100 000 contacts, 2 tags added in chunks of 5000, the chunk
 * statements alone: 4.55 s -> 2.70 s, the commits 1.44 s -> 0.46 s.
 *
 * Without a rowid, contacts need their own creation order for activity snapshots: `seq`, the old
 * rowid for existing rows, then the next number in the location for each new contact (written by
 * store/contacts.ts; PostgreSQL has numbered contacts with an identity column since 0002).
 *
 * The tables are rebuilt, once, in one transaction; foreign keys are switched off while the old
 * contacts table is dropped (list_memberships points at it) and checked before the commit.
 * PostgreSQL keeps its heap tables: nothing to do.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') return
  // Not allowed inside a transaction; SQLite migrations run outside one (no transactional DDL).
  await sql`PRAGMA foreign_keys = OFF`.execute(db)
  try {
    await sql`BEGIN IMMEDIATE`.execute(db)
    try {
      await rebuildContacts(db)
      await rebuildContactTags(db)
      const { rows } = await sql`PRAGMA foreign_key_check`.execute(db)
      if (rows.length > 0)
        throw new Error(`foreign key check failed after the rebuild: ${JSON.stringify(rows)}`)
      await sql`COMMIT`.execute(db)
    } catch (error) {
      await sql`ROLLBACK`.execute(db)
      throw error
    }
  } finally {
    await sql`PRAGMA foreign_keys = ON`.execute(db)
  }
}

const CONTACT_COLUMNS = sql.raw(`location_id, id, first_name, last_name, name, email, email_lower, phone,
  company_name, address1, city, state, postal_code, country, website, timezone, source, date_of_birth,
  assigned_to, dnd, extra, search_text, created_at, updated_at, deleted_at, subscribed_at, unsubscribed_at`)

async function rebuildContacts(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE contacts_rebuilt (
    location_id text not null references locations (id), id text not null,
    first_name text, last_name text, name text, email text, email_lower text, phone text,
    company_name text, address1 text, city text, state text, postal_code text, country text,
    website text, timezone text, source text, date_of_birth text, assigned_to text,
    dnd integer default 0 not null, extra text default '{}' not null, search_text text default '' not null,
    created_at text not null, updated_at text not null, deleted_at text, subscribed_at text,
    unsubscribed_at text, seq integer not null,
    constraint contacts_pkey primary key (location_id, id)) WITHOUT ROWID`.execute(db)
  await sql`INSERT INTO contacts_rebuilt (${CONTACT_COLUMNS}, seq)
    SELECT ${CONTACT_COLUMNS}, rowid FROM contacts ORDER BY location_id, id`.execute(db)
  await sql`DROP TABLE contacts`.execute(db)
  await sql`ALTER TABLE contacts_rebuilt RENAME TO contacts`.execute(db)
  await sql`CREATE INDEX contacts_id_idx ON contacts (id)`.execute(db)
  await sql`CREATE INDEX contacts_email_idx ON contacts (location_id, email_lower) WHERE email_lower IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE INDEX contacts_phone_idx ON contacts (location_id, phone) WHERE phone IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE INDEX contacts_deleted_idx ON contacts (location_id, id) WHERE deleted_at IS NOT NULL`.execute(
    db,
  )
  // The location's newest contact, for numbering the next ones and for activity snapshots.
  await sql`CREATE INDEX contacts_seq_idx ON contacts (location_id, seq)`.execute(db)
}

async function rebuildContactTags(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE contact_tags_rebuilt (
    location_id text not null, contact_id text not null, tag_id text not null, created_at text not null,
    constraint contact_tags_pkey primary key (location_id, contact_id, tag_id)) WITHOUT ROWID`.execute(db)
  await sql`INSERT INTO contact_tags_rebuilt (location_id, contact_id, tag_id, created_at)
    SELECT location_id, contact_id, tag_id, created_at FROM contact_tags ORDER BY location_id, contact_id, tag_id`.execute(
    db,
  )
  await sql`DROP TABLE contact_tags`.execute(db)
  await sql`ALTER TABLE contact_tags_rebuilt RENAME TO contact_tags`.execute(db)
  await sql`CREATE INDEX contact_tags_tag_idx ON contact_tags (location_id, tag_id, contact_id)`.execute(db)
}
