import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/store/database.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'

/** Appends a tag named `name` and answers how many tags the location had just before. */
async function addTagCountingBefore(tx: Db, locationId: string, name: string): Promise<number> {
  const before = await tx.kysely
    .selectFrom('tags')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('location_id', '=', locationId)
    .executeTakeFirstOrThrow()
  const now = new Date().toISOString()
  await tx.kysely
    .insertInto('tags')
    .values({ location_id: locationId, id: name.padEnd(20, '0'), name, created_at: now, updated_at: now })
    .execute()
  return Number(before.n)
}

for (const dialect of DIALECTS) {
  describe(`concurrent transactions on ${dialect}`, () => {
    let t: TestDatabase
    const statements: string[] = []
    beforeAll(async () => {
      t = await createTestDatabase(dialect, { onQuery: (q) => statements.push(q.sql) })
    })
    afterAll(() => t?.drop())

    it('apply as if one after another: a failed one leaves nothing and the others commit', async () => {
      const { id: locationId } = await makeLocation(t.database)
      statements.length = 0
      const names = ['grp-a', 'grp-b', 'grp-c', 'grp-d']
      const results = await Promise.allSettled(
        names.map((name) =>
          t.database.transaction(async (tx) => {
            const before = await addTagCountingBefore(tx, locationId, name)
            // Written, then refused: none of it may stay.
            if (name === 'grp-b') throw new Error('refused')
            return before
          }),
        ),
      )
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused')
      const counts = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      // Never the refused one's row. (PostgreSQL runs them side by side, each on its connection.)
      for (const count of counts) expect(count).toBeLessThanOrEqual(2)
      const stored = await sql<{
        name: string
      }>`select name from tags where location_id = ${locationId} order by name`.execute(t.database.kysely)
      expect(stored.rows.map((r) => r.name)).toEqual(['grp-a', 'grp-c', 'grp-d'])
      if (dialect === 'sqlite') {
        // One after another, each seeing the committed work of those before it.
        expect(counts).toEqual([0, 1, 2])
        // Asked for in one turn of the event loop: one transaction, one commit (store/database.ts).
        expect(statements.filter((s) => /^begin/i.test(s))).toHaveLength(1)
        expect(statements.filter((s) => /^commit/i.test(s))).toHaveLength(1)
      }
    })

    it('commits at most 32 in a group, the rest in the next one', async () => {
      const { id: locationId } = await makeLocation(t.database)
      statements.length = 0
      const names = Array.from({ length: 40 }, (_, i) => `many-${String(i).padStart(2, '0')}`)
      const counts = await Promise.all(
        names.map((name) => t.database.transaction((tx) => addTagCountingBefore(tx, locationId, name))),
      )
      expect(counts).toHaveLength(40)
      if (dialect === 'sqlite') {
        expect(counts).toEqual(names.map((_, i) => i))
        expect(statements.filter((s) => /^commit/i.test(s))).toHaveLength(2)
      }
    })

    it('commits a transaction asked for alone, and one asked for after it sees it', async () => {
      const { id: locationId } = await makeLocation(t.database)
      expect(await t.database.transaction((tx) => addTagCountingBefore(tx, locationId, 'alone-a'))).toBe(0)
      const later = t.database.transaction((tx) => addTagCountingBefore(tx, locationId, 'alone-b'))
      expect(await later).toBe(1)
    })
  })
}
