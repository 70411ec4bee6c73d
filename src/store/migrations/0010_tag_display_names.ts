import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Tags keep the name as written in the Constant Contact dialect ("Webinar VIP"), which shows it,
 * beside the normalised (lower-cased) `name` the HighLevel dialect shows and uniqueness is kept
 * on. Null: no written form (created or renamed through HighLevel, an import, the CLI); `name`
 * is shown in both dialects. Existing tags get null: their written form was not kept.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('tags').addColumn('display_name', 'text').execute()
}
