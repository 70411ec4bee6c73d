import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import {
  type Database,
  type DatabaseOptions,
  type DialectName,
  openDatabase,
} from '../../src/store/database.js'
import { migrateToLatest } from '../../src/store/migrate.js'

export const POSTGRES_URL = process.env.TAGBASE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Redis is required like PostgreSQL (shared rate limits): if it is down those tests fail, never skip. */
export const REDIS_URL = process.env.TAGBASE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * Every engine-dependent suite runs once per dialect. PostgreSQL is not optional: if it cannot be
 * reached the suites fail rather than skip. TAGBASE_TEST_DIALECTS=sqlite narrows a local run on
 * purpose; CI never sets it.
 */
export const DIALECTS: readonly DialectName[] = (process.env.TAGBASE_TEST_DIALECTS ?? 'sqlite,postgres')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is DialectName => d === 'sqlite' || d === 'postgres')

export type TestDatabase = { database: Database; url: string; searchPath?: string; drop(): Promise<void> }

/** A fresh, migrated database of its own: a temporary SQLite file, or a new PostgreSQL schema. */
export async function createTestDatabase(
  dialect: DialectName,
  options: DatabaseOptions = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tagbase-test-'))
    const url = `sqlite:${join(dir, 'test.db')}`
    const database = openDatabase(url, options)
    await migrateToLatest(database)
    return {
      database,
      url,
      async drop() {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const schema = `tagbase_test_${randomBytes(6).toString('hex')}`
  await withAdminClient((client) => client.query(`CREATE SCHEMA ${schema}`))
  const database = openDatabase(POSTGRES_URL, { searchPath: schema, poolSize: 5, ...options })
  await migrateToLatest(database)
  return {
    database,
    url: POSTGRES_URL,
    searchPath: schema,
    async drop() {
      await database.close()
      await withAdminClient((client) => client.query(`DROP SCHEMA ${schema} CASCADE`))
    },
  }
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the test suite and is not reachable at ${POSTGRES_URL}: ${(error as Error).message}`,
    )
  }
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
