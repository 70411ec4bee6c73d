import { type Kysely, sql } from 'kysely'

/**
 * Soft-deleted contacts keep their tag rows (undo and the event log still name them), so counts
 * of live holders subtract the deleted ones; this partial index finds a tenant's deleted
 * contacts without reading the live ones. Partial, so it never serves a plain key lookup.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('contacts_deleted_idx')
    .on('contacts')
    .columns(['location_id', 'id'])
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute()
}
