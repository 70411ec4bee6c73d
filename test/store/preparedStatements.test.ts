import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../../src/store/database.js'
import { PREPARED_STATEMENT_MAX_PARAMETERS } from '../../src/store/resilientPool.js'
import { createTestDatabase, DIALECTS, type TestDatabase, withAdminClient } from '../helpers/databases.js'

/** PostgreSQL only: SQLite's statements are kept by store/sqliteStatements.ts (its own test). */
for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe(`PostgreSQL prepared statements on ${dialect}`, () => {
    let t: TestDatabase
    // One connection, so every statement below meets the same server session.
    beforeAll(async () => {
      t = await createTestDatabase(dialect, { poolSize: 1 })
    })
    afterAll(() => t.drop())

    async function preparedTexts(): Promise<string[]> {
      const { rows } = await sql<{ statement: string }>`
        select statement from pg_prepared_statements where name like 'tb\\_%'`.execute(t.database.kysely)
      return rows.map((r) => r.statement)
    }

    it('prepares a statement with few parameters once per connection, by a name of its text', async () => {
      for (let i = 0; i < 3; i++)
        await sql`select ${i}::int + 1 as n /* prepared-once */`.execute(t.database.kysely)
      const texts = (await preparedTexts()).filter((s) => s.includes('prepared-once'))
      expect(texts).toHaveLength(1)
    })

    it('leaves statements over many values unnamed, so each run is planned for its values', async () => {
      const values = Array.from({ length: PREPARED_STATEMENT_MAX_PARAMETERS + 1 }, (_, i) => i)
      const list = sql.join(values.map((v) => sql`${v}::int`))
      await sql`select count(*) from (values (1)) v where 1 in (${list}) /* many-values */`.execute(
        t.database.kysely,
      )
      expect((await preparedTexts()).some((s) => s.includes('many-values'))).toBe(false)
    })

    it('counts the elements of an array parameter: a chunk of ids bound as one array stays unnamed', async () => {
      const ids = Array.from({ length: PREPARED_STATEMENT_MAX_PARAMETERS + 1 }, (_, i) => `id-${i}`)
      const few = ids.slice(0, 10)
      for (const [list, label] of [
        [ids, 'many-in-array'],
        [few, 'few-in-array'],
      ] as const)
        await sql`select count(*) from unnest(${list}::text[]) /* ${sql.raw(label)} */`.execute(
          t.database.kysely,
        )
      const texts = await preparedTexts()
      expect(texts.some((s) => s.includes('many-in-array'))).toBe(false)
      expect(texts.some((s) => s.includes('few-in-array'))).toBe(true)
    })

    it('answers unavailable once when a table changed shape under a prepared statement, then prepares it again', async () => {
      await sql`create table reshaped (a int)`.execute(t.database.kysely)
      await sql`insert into reshaped values (1)`.execute(t.database.kysely)
      const read = () => sql<Record<string, number>>`select * from reshaped`.execute(t.database.kysely)
      expect((await read()).rows).toEqual([{ a: 1 }])
      await withAdminClient((client) => client.query(`alter table ${t.searchPath}.reshaped add column b int`))
      const stale = await read().catch((error: unknown) => error)
      expect(isDatabaseUnavailable(stale)).toBe(true)
      expect((await read()).rows).toEqual([{ a: 1, b: null }])
    })
  })
}
