import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * An endpoint's last failure, kept on the webhook (the deliveries keep their own, but the one
 * that failed last may since have been re-driven or pruned): what the dashboard shows beside
 * "paused (4 failures in a row)". Kept after a success, with its time, so a flapping endpoint's
 * last error stays visible.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('last_error', 'text').execute()
  await db.schema.alterTable('webhooks').addColumn('last_error_at', 'text').execute()
}
