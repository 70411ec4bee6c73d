import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachTags } from '../../src/store/contactTags.js'
import { recordContactTagUpdates } from '../../src/store/events.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'

/**
 * An activity chunk touches `updated_at` on every one of its contacts in one transaction. On
 * PostgreSQL each touch must stay on its row's page (a HOT update: no new entry in any of the
 * contacts' indexes), which needs room for a second version of every row (migration 0022).
 */
describe('touching a whole chunk of contacts on postgres', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
  })
  afterAll(async () => {
    await t.drop()
  })

  it('keeps every touched contact on its page', async () => {
    const location = await makeLocation(t.database, 'Acme')
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push(...(await t.database.transaction((tx) => seedContacts(tx, location.id, 1000))))
    const tags = await ensureTagsByName(t.database, location.id, ['vip', 'promo'], new Date().toISOString())
    const counts = await t.database.transaction(async (tx) => {
      const pairs = await attachTags(
        tx,
        location.id,
        ids.sort(),
        tags.map((tag) => tag.id),
      )
      const tagged = [...new Set(pairs.map((pair) => pair.contact_id))]
      await recordContactTagUpdates(
        tx,
        location.id,
        tagged.map((contactId) => ({ contactId, tagsAdded: ['vip', 'promo'], tagsRemoved: [] })),
        { source: 'test' },
        new Date().toISOString(),
      )
      const { rows } = await sql<{ updated: number; hot: number }>`select
          pg_stat_get_xact_tuples_updated('contacts'::regclass) as updated,
          pg_stat_get_xact_tuples_hot_updated('contacts'::regclass) as hot`.execute(tx.kysely)
      return rows[0]
    })
    expect(counts).toEqual({ updated: 5000, hot: 5000 })
  })
})
