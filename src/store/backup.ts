import { sql } from 'kysely'
import type { Db } from './database.js'

/**
 * A consistent online copy of the SQLite database into a new file (`VACUUM INTO`): one read
 * transaction, so writers in this and other processes go on meanwhile and the copy is the state
 * at one instant, compacted. SQLite refuses a file that already exists.
 */
export async function copySqliteDatabase(db: Db, file: string): Promise<void> {
  await sql`vacuum into ${file}`.execute(db.kysely)
}
