import type { Kysely } from 'kysely'

/** Idempotency-Key records: the first answer to a keyed POST, replayed to its repeats for 24 h. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    /** sha256 of method, path and body: the same key with another request is refused. */
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    /** Null while the first request is still being answered. */
    .addColumn('status', 'integer')
    .addColumn('response', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['location_id', 'key'])
    .execute()
}
