import { randomBytes } from 'node:crypto'
import { testSchemaPrefix, withAdminClient } from './helpers/databases.js'

/**
 * One id per test run, inherited by every test process: each PostgreSQL test schema is named
 * after it, and once every file has finished the run drops its own schemas (never another run's).
 */
export function setup(): void {
  process.env.TAGBASE_TEST_RUN ??= randomBytes(4).toString('hex')
}

export async function teardown(): Promise<void> {
  const prefix = testSchemaPrefix()
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `select nspname as name from pg_namespace where starts_with(nspname, $1)`,
      [prefix],
    )
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`)
  })
}
