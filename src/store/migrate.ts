import { Migrator } from 'kysely'
import type { Database } from './database.js'
import { migrationProvider } from './migrations/index.js'

export type MigrationOutcome = { applied: string[] }

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely's
 * migrator holds a lock (an advisory lock on PostgreSQL) while it works.
 */
export async function migrateToLatest(database: Database): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db: database.kysely, provider: migrationProvider(database.dialect) })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}
