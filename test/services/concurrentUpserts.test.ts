import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getContact, upsertContact } from '../../src/services/contacts.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'

/**
 * Concurrent writers of one contact (API processes upserting, an import) each merge their fields
 * into what the others committed: each locks the contact, then reads what it writes from.
 */
for (const dialect of DIALECTS) {
  describe(`concurrent upserts of one contact on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect, { poolSize: 10 })
    })
    afterAll(() => t.drop())

    it('lose no update: every merged field survives', async () => {
      const location = await makeLocation(t.database)
      const email = 'race@example.com'
      const { contact } = await upsertContact(t.database, location.id, { email }, 'test')
      const writers = 24
      await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          upsertContact(t.database, location.id, { email, extra: { [`k${i}`]: i } }, 'test'),
        ),
      )
      const [first, second] = await Promise.all([
        upsertContact(t.database, location.id, { email, firstName: 'Ann' }, 'test'),
        upsertContact(t.database, location.id, { email, lastName: 'Lee' }, 'test'),
      ])
      expect(first.created || second.created).toBe(false)
      const row = await t.database.kysely
        .selectFrom('contacts')
        .select(['extra', 'name'])
        .where('id', '=', contact.id)
        .executeTakeFirstOrThrow()
      expect(Object.keys(JSON.parse(row.extra)).sort()).toEqual(
        Array.from({ length: writers }, (_, i) => `k${i}`).sort(),
      )
      expect(row.name).toBe('Ann Lee')
      expect((await getContact(t.database, location.id, contact.id)).id).toBe(contact.id)
    })
  })
}
