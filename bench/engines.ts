import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type Database, type DialectName, openDatabase } from '../src/store/database.js'
import { migrateToLatest } from '../src/store/migrate.js'

export const BENCH_POSTGRES_URL =
  process.env.TAGBASE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * The benchmark shares its SQLite file with a worker process and runs long statements: it waits
 * for the file and its statements as long as they take, where the service would answer 503.
 */
export const BENCH_DATABASE_OPTIONS = { timeouts: { busyMs: 60_000, queryMs: 0 } }

/**
 * A fresh database for one benchmark run (its own SQLite file or PostgreSQL schema), prepared by
 * `prepare` (the product's migrations unless told), and the DATABASE_URL another process would use.
 */
export type BenchEngine = { dialect: DialectName; database: Database; url: string; dispose(): Promise<void> }

export async function openBenchEngine(
  dialect: DialectName,
  prepare: (database: Database) => Promise<unknown> = migrateToLatest,
): Promise<BenchEngine> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tagbase-bench-'))
    const url = `sqlite:${join(dir, 'bench.db')}`
    const database = openDatabase(url, BENCH_DATABASE_OPTIONS)
    await prepare(database)
    return {
      dialect,
      database,
      url,
      async dispose() {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const schema = `tagbase_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: BENCH_POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  const database = openDatabase(BENCH_POSTGRES_URL, { ...BENCH_DATABASE_OPTIONS, searchPath: schema })
  await prepare(database)
  return {
    dialect,
    database,
    url: `${BENCH_POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async dispose() {
      await database.close()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    },
  }
}
