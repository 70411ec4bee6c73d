import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * PostgreSQL: contacts leave half of each page free (fillfactor 50, was 80 since 0008). An
 * activity chunk touches `updated_at` on every contact of a run of pages in one transaction, so
 * none of their old row versions can be pruned before the commit: each new version needs room of
 * its own on the same page to be a HOT update. With a fifth of the page free, two touches in three
 * moved the row to another page and wrote an entry into every index of contacts. Measured on
 * 100 000 contacts, 2 tags added then removed (`pg_waldump --stats`): WAL 2 161 -> 1 783 bytes per
 * changed contact on the add, 1 567 -> 1 229 on the remove. The price is room: a contacts heap
 * ~1.6x as large for rows written from now on. `VACUUM FULL contacts` applies it to an existing
 * table. SQLite stores rows in their key order without free space to keep: nothing to do.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql`ALTER TABLE contacts SET (fillfactor = 50)`.execute(db)
}
