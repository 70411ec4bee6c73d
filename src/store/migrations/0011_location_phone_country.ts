import type { Kysely } from 'kysely'
import type { DialectName } from '../database.js'

/**
 * Each location may name the country its phones without `+` are read in (domain/phones.ts);
 * null: the default, US. Phones stored before this stay as they were written until the contact
 * is written again (`tagbase` does not rewrite them: two contacts may hold one number in two
 * spellings, and merging them is the operator's call).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('locations').addColumn('phone_country', 'text').execute()
}
