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
import { migrateToLatest, migratorFor } from '../../src/store/migrate.js'

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

/**
 * Suites share two cores and one PostgreSQL, and some create a thousand rows at once through a
 * pool of five: production's 2 s wait for a pooled connection (and 3 s per statement) would turn
 * a busy machine into failures. The fault suites open their own handles with the real defaults.
 */
const TEST_TIMEOUTS = { connectMs: 20_000, queryMs: 60_000, busyMs: 10_000 }

/**
 * A fresh, migrated database of its own: a temporary SQLite file, or a new PostgreSQL schema.
 * `upTo` stops after that migration (to test a later one on a populated database).
 */
export async function createTestDatabase(
  dialect: DialectName,
  givenOptions: DatabaseOptions = {},
  upTo?: string,
): Promise<TestDatabase> {
  const migrate = (database: Database) => (upTo ? migrateUpTo(database, upTo) : migrateToLatest(database))
  const options = { ...givenOptions, timeouts: { ...TEST_TIMEOUTS, ...givenOptions.timeouts } }
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tagbase-test-'))
    const url = `sqlite:${join(dir, 'test.db')}`
    const database = openDatabase(url, options)
    await migrate(database)
    return {
      database,
      url,
      async drop() {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const schema = `${testSchemaPrefix()}${randomBytes(6).toString('hex')}`
  await withAdminClient((client) => client.query(`CREATE SCHEMA ${schema}`))
  const database = openDatabase(POSTGRES_URL, { searchPath: schema, poolSize: 5, ...options })
  await migrate(database)
  return {
    database,
    url: POSTGRES_URL,
    searchPath: schema,
    // The schema itself is dropped when the whole run ends (test/globalSetup.ts): dropping it
    // while other files run makes their catalog scans (Kysely's introspection) fail.
    async drop() {
      await database.close()
    },
  }
}

/** Schemas of this test run share a prefix, so the run drops exactly its own at the end. */
export function testSchemaPrefix(): string {
  return `tagbase_test_${process.env.TAGBASE_TEST_RUN ?? 'local'}_`
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
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

async function migrateUpTo(database: Database, name: string): Promise<void> {
  const { error } = await (await migratorFor(database)).migrateTo(name)
  if (error) throw error
}
