import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachTags } from '../../src/store/contactTags.js'
import { migrateToLatest } from '../../src/store/migrate.js'
import { deleteTag } from '../../src/store/tags.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation } from '../helpers/fixtures.js'

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it('are idempotent and safe to run concurrently', async () => {
      const outcomes = await Promise.all([migrateToLatest(t.database), migrateToLatest(t.database)])
      expect(outcomes.flatMap((o) => o.applied)).toEqual([])
    })

    it('enforce tag uniqueness; tag rows name only tags that exist (no foreign keys: the writers hold them)', async () => {
      const location = await makeLocation(t.database)
      const now = new Date().toISOString()
      const tag = { location_id: location.id, name: 'dup', created_at: now, updated_at: now }
      await t.database.kysely
        .insertInto('tags')
        .values({ ...tag, id: 'A'.repeat(20) })
        .execute()
      await expect(
        t.database.kysely
          .insertInto('tags')
          .values({ ...tag, id: 'B'.repeat(20) })
          .execute(),
      ).rejects.toThrow()
      const contactId = await makeContact(t.database, location.id)
      // An unknown tag is left out; a known one is attached; deleting the tag takes its rows.
      expect(
        await attachTags(t.database, location.id, [contactId], ['C'.repeat(20), 'A'.repeat(20)], now),
      ).toEqual([{ contact_id: contactId, tag_id: 'A'.repeat(20) }])
      expect(await deleteTag(t.database, location.id, 'A'.repeat(20))).toBe(true)
      const left = await t.database.kysely
        .selectFrom('contact_tags')
        .select('tag_id')
        .where('location_id', '=', location.id)
        .execute()
      expect(left).toEqual([])
    })

    it('refuse activity kinds and states outside the closed sets', async () => {
      const location = await makeLocation(t.database)
      const now = new Date().toISOString()
      const row = {
        location_id: location.id,
        id: 'check-activity',
        kind: 'contacts_taggings_add' as const,
        state: 'initialized' as const,
        tag_ids: '[]',
        selector: null,
        items_completed: 0,
        errors: '[]',
        created_at: now,
        updated_at: now,
      }
      await expect(
        t.database.kysely
          .insertInto('activities')
          .values({ ...row, kind: 'contacts_everything_delete' as never })
          .execute(),
      ).rejects.toThrow()
      await t.database.kysely.insertInto('activities').values(row).execute()
      await expect(
        t.database.kysely
          .updateTable('activities')
          .set({ state: 'paused' as never })
          .where('id', '=', row.id)
          .execute(),
      ).rejects.toThrow()
    })

    it('give events increasing ids', async () => {
      const location = await makeLocation(t.database)
      await makeContact(t.database, location.id, ['a'])
      await makeContact(t.database, location.id, ['b'])
      const events = await t.database.kysely
        .selectFrom('events')
        .select('id')
        .where('location_id', '=', location.id)
        .orderBy('id')
        .execute()
      expect(events).toHaveLength(2)
      expect(typeof events[0]?.id).toBe('number')
      expect(events[1]!.id).toBeGreaterThan(events[0]!.id)
    })
  })
}
