import type { Selectable } from 'kysely'
import { compiledOnce } from './compiledOnce.js'
import type { Db } from './database.js'
import type { AccessTokensTable } from './schema.js'

export type AccessTokenRow = Selectable<AccessTokensTable>

export async function insertAccessToken(db: Db, row: AccessTokenRow): Promise<void> {
  await db.kysely.insertInto('access_tokens').values(row).execute()
}

/** Tokens are found by the hash of the presented secret; the secret itself is never stored. */
export async function findActiveTokenByHash(db: Db, tokenHash: string): Promise<AccessTokenRow | undefined> {
  const { rows } = await db.kysely.executeQuery(findingActiveTokenOnce(db, { tokenHash }))
  return rows[0]
}

/** Every authenticated request runs this: compiled once (store/compiledOnce.ts). */
export function findingActiveToken(db: Db, v: { tokenHash: string }) {
  return db.kysely
    .selectFrom('access_tokens')
    .selectAll()
    .where('token_hash', '=', v.tokenHash)
    .where('revoked_at', 'is', null)
}

export const findingActiveTokenOnce = compiledOnce(findingActiveToken)

/** A location's tokens, oldest first, revoked ones included; never the hash. */
export async function listAccessTokens(
  db: Db,
  locationId: string,
): Promise<Array<Omit<AccessTokenRow, 'token_hash'>>> {
  return db.kysely
    .selectFrom('access_tokens')
    .select(['location_id', 'id', 'scopes', 'name', 'created_at', 'revoked_at'])
    .where('location_id', '=', locationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

export async function revokeAccessToken(
  db: Db,
  locationId: string,
  id: string,
  now: string,
): Promise<boolean> {
  const result = await db.kysely
    .updateTable('access_tokens')
    .set({ revoked_at: now })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
