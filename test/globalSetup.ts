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
    // A run creates and drops some 3 000 tables; their catalogue rows are dead tuples until
    // vacuumed, and a server without autovacuum (this machine's has it off) piled up 377 000 of
    // them in pg_attribute over a day of runs, until CLI statements under load passed their 3 s.
    await client.query(`VACUUM pg_catalog.pg_attribute, pg_catalog.pg_class, pg_catalog.pg_type,
      pg_catalog.pg_depend, pg_catalog.pg_index, pg_catalog.pg_constraint, pg_catalog.pg_attrdef,
      pg_catalog.pg_namespace, pg_catalog.pg_description, pg_catalog.pg_statistic, pg_catalog.pg_sequence`)
  })
}
