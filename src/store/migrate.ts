import { Migrator, sql } from 'kysely'
import type { Database } from './database.js'
import { migrationProvider } from './migrations/index.js'

export type MigrationOutcome = { applied: string[] }

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely's
 * migrator holds a lock (an advisory lock on PostgreSQL) while it works.
 */
export async function migrateToLatest(database: Database): Promise<MigrationOutcome> {
  const migrator = await migratorFor(database)
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}

/** Migrations this build has that the database has not run yet (readiness: none). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const migrator = await migratorFor(database)
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name)
}

/** The migrator for this database's own schema (tests use it to stop at a given migration). */
export async function migratorFor(database: Database): Promise<Migrator> {
  return new Migrator({
    db: database.kysely,
    provider: migrationProvider(database.dialect),
    // Without a schema Kysely looks for its bookkeeping tables in every schema of the database and
    // can find another tenant's or test's copy; pin it to the one this connection works in.
    ...(database.dialect === 'postgres' ? { migrationTableSchema: await currentSchema(database) } : {}),
  })
}

async function currentSchema(database: Database): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    database.kysely,
  )
  const schema = rows[0]?.schema
  if (!schema)
    throw new Error('PostgreSQL search_path names no existing schema; create it or fix DATABASE_URL')
  return schema
}
