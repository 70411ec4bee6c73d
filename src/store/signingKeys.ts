import type { Selectable } from 'kysely'
import type { Db } from './database.js'
import type { SigningKeysTable } from './schema.js'

export type SigningKeyRow = Selectable<SigningKeysTable>

export async function findSigningKey(db: Db, id: string): Promise<SigningKeyRow | undefined> {
  return db.kysely.selectFrom('signing_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Stores a key unless one with this id exists (first writer wins when processes race). */
export async function insertSigningKeyIfAbsent(db: Db, row: SigningKeyRow): Promise<void> {
  await db.kysely
    .insertInto('signing_keys')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}
