import type { Kysely } from 'kysely'

/**
 * - activities.failed_attempts: steps that failed for reasons of the activity's own (not an
 *   unavailable database); past a bound the activity is marked failed instead of retried forever.
 * - operator_credentials: hashes of the tokens that open the dashboard (the secret itself is
 *   shown once and never stored).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('activities')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .createTable('operator_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute()
}
