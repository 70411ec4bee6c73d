import type { Db } from './database.js'

/** Operator credentials (the dashboard's): only the SHA-256 hash of each secret is stored. */

export async function insertOperatorCredential(
  db: Db,
  row: { id: string; secretHash: string; now: string },
): Promise<void> {
  await db.kysely
    .insertInto('operator_credentials')
    .values({ id: row.id, secret_hash: row.secretHash, created_at: row.now, revoked_at: null })
    .execute()
}

export async function isActiveOperatorCredential(db: Db, secretHash: string): Promise<boolean> {
  const row = await db.kysely
    .selectFrom('operator_credentials')
    .select('id')
    .where('secret_hash', '=', secretHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

export async function countActiveOperatorCredentials(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('operator_credentials')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Revokes every active credential but `keepId`. */
export async function revokeOperatorCredentialsExcept(db: Db, keepId: string, now: string): Promise<void> {
  await db.kysely
    .updateTable('operator_credentials')
    .set({ revoked_at: now })
    .where('revoked_at', 'is', null)
    .where('id', '!=', keepId)
    .execute()
}
