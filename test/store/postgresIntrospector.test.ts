import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateToLatest, pendingMigrations } from '../../src/store/migrate.js'
import {
  createTestDatabase,
  type TestDatabase,
  testSchemaPrefix,
  withAdminClient,
} from '../helpers/databases.js'

/**
 * Kysely's migrator introspects before it takes its lock. Its own PostgreSQL introspector failed
 * when any other session dropped a column meanwhile (seen in CI: one suite's migration 0021 broke
 * another suite's start with `column "created_at" of relation "contact_tags" does not exist`).
 */
describe('PostgreSQL introspection', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
  })
  afterAll(async () => {
    await t.drop()
  })

  it("describes the tables of the connection's schema only: columns, types, defaults, sequences, comments, views", async () => {
    const db = t.database.kysely
    const otherSchema = `${testSchemaPrefix()}other_${Date.now()}`
    await withAdminClient(async (admin) => {
      await admin.query(`create schema ${otherSchema}`)
      await admin.query(`create table ${otherSchema}.probe (id int)`)
    })
    await sql`create table probe (id serial primary key, counter bigint generated always as identity,
      name text not null default 'x', note text)`.execute(db)
    await sql`comment on column probe.note is 'why it is here'`.execute(db)
    await sql`create view probe_names as select id, name from probe`.execute(db)
    const tables = await db.introspection.getTables()
    expect(new Set(tables.map((table) => table.schema))).toEqual(new Set([t.searchPath]))
    expect(tables.map((table) => table.name)).not.toContain('kysely_migration')
    expect(tables.map((table) => table.name)).toContain('contact_tags')
    const probe = tables.filter((table) => table.name.startsWith('probe'))
    const column = (name: string, dataType: string, more: object) => ({
      name,
      dataType,
      dataTypeSchema: 'pg_catalog',
      isNullable: false,
      hasDefaultValue: false,
      isAutoIncrementing: false,
      ...more,
    })
    expect(probe).toEqual([
      {
        name: 'probe',
        schema: t.searchPath,
        isView: false,
        columns: [
          column('id', 'int4', { hasDefaultValue: true, isAutoIncrementing: true }),
          column('counter', 'int8', { isAutoIncrementing: true }),
          column('name', 'text', { hasDefaultValue: true }),
          column('note', 'text', { isNullable: true, comment: 'why it is here' }),
        ],
      },
      {
        name: 'probe_names',
        schema: t.searchPath,
        isView: true,
        columns: [column('id', 'int4', { isNullable: true }), column('name', 'text', { isNullable: true })],
      },
    ])
    const internal = await db.introspection.getTables({ withInternalKyselyTables: true })
    expect(internal.map((table) => table.name)).toContain('kysely_migration')
  })

  it('keeps working, and migrations with it, while other sessions add and drop columns', async () => {
    const otherSchema = `${testSchemaPrefix()}churn_${Date.now()}`
    await withAdminClient(async (admin) => {
      await admin.query(`create schema ${otherSchema}`)
      await admin.query(`create table ${otherSchema}.churn (id int, a text, b text)`)
      await admin.query(`create table ${t.searchPath}.churn (id int, a text, b text)`)
    })
    // Each round adds two columns and drops two; PostgreSQL counts dropped columns towards a
    // table's 1 600, so the rounds are bounded rather than timed (a slow machine ran out).
    const ROUNDS = 400
    let rounds = 0
    let looks = 0
    let churning = true
    // Two sessions: one in another schema (another tenant's or suite's migration), one in this
    // schema (a second process migrating it).
    const churn = (schema: string) =>
      withAdminClient(async (admin) => {
        for (let i = 0; i < ROUNDS && churning; i++) {
          await admin.query(`alter table ${schema}.churn add column c int, drop column a`)
          await admin.query(`alter table ${schema}.churn add column a text, drop column c`)
          rounds++
        }
      })
    const churners = Promise.all([churn(otherSchema), churn(t.searchPath as string)])
    let churned = false
    churners.then(
      () => {
        churned = true
      },
      () => {
        churned = true
      },
    )
    try {
      while (!churned) {
        await t.database.kysely.introspection.getTables()
        expect(await pendingMigrations(t.database)).toEqual([])
        expect(await migrateToLatest(t.database)).toEqual({ applied: [] })
        looks++
      }
    } finally {
      churning = false
      await churners
    }
    // The columns did change under the introspection, many times, and it looked many times.
    expect(rounds).toBe(2 * ROUNDS)
    expect(looks).toBeGreaterThanOrEqual(10)
  })
})
