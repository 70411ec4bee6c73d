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

/** Writes the key with this id, replacing any (rotation, or encrypting a plain copy in place). */
export async function replaceSigningKey(db: Db, row: SigningKeyRow): Promise<void> {
  await db.kysely
    .insertInto('signing_keys')
    .values(row)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        private_key_pem: row.private_key_pem,
        public_key_pem: row.public_key_pem,
        created_at: row.created_at,
      }),
    )
    .execute()
}
