import type { Selectable } from 'kysely'
import type { Db } from './database.js'
import type { IdempotencyKeysTable } from './schema.js'

export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>

/** Records the key as in progress; false when it is already recorded (by this or a concurrent request). */
export async function insertIdempotencyKey(
  db: Db,
  row: { location_id: string; key: string; fingerprint: string; created_at: string },
): Promise<boolean> {
  const inserted = await db.kysely
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['location_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst()
  return inserted !== undefined
}

export async function findIdempotencyKey(
  db: Db,
  locationId: string,
  key: string,
): Promise<IdempotencyKeyRow | undefined> {
  return db.kysely
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('key', '=', key)
    .executeTakeFirst()
}

export async function saveIdempotentResponse(
  db: Db,
  locationId: string,
  key: string,
  answer: { status: number; response: string },
): Promise<void> {
  await db.kysely
    .updateTable('idempotency_keys')
    .set({ status: answer.status, response: answer.response })
    .where('location_id', '=', locationId)
    .where('key', '=', key)
    .execute()
}

/** Forgets a key: its request failed on our side (5xx) and may be retried, or it expired. */
export async function deleteIdempotencyKey(
  db: Db,
  locationId: string,
  key: string,
  createdBefore?: string,
): Promise<void> {
  await db.kysely
    .deleteFrom('idempotency_keys')
    .where('location_id', '=', locationId)
    .where('key', '=', key)
    .$if(createdBefore !== undefined, (q) => q.where('created_at', '<', createdBefore as string))
    .execute()
}
