import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findContactsByIds, touchContacts } from '../../src/store/contacts.js'
import {
  attachTags,
  detachTags,
  keyRangeOf,
  listTagsOfContacts,
  RANGE_WRITES_FROM_IDS,
} from '../../src/store/contactTags.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'

/**
 * Touches and tag removals over an activity chunk's ids: SQLite writes the key range instead of
 * the id list when the range holds exactly those contacts (store/contactTags.ts rangeHoldsOnly).
 * Either way only the contacts named are written, never a neighbour in their range.
 */
for (const dialect of DIALECTS) {
  describe(`writes over a chunk's key range on ${dialect}`, () => {
    let t: TestDatabase
    let locationId: string
    let ids: string[]
    let tagIds: string[]
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      locationId = (await makeLocation(t.database, 'Acme')).id
      // Another tenant's contacts interleave by id, and must never count as the range's.
      const otherId = (await makeLocation(t.database, 'Other')).id
      ids = []
      for (let i = 0; i < 100; i++) {
        ids.push(...(await seedContacts(t.database, locationId, 1)))
        await seedContacts(t.database, otherId, 1)
      }
      ids.sort()
      const tags = await ensureTagsByName(
        t.database,
        locationId,
        ['vip', 'promo'],
        '2026-01-01T00:00:00.000Z',
      )
      tagIds = tags.map((tag) => tag.id)
      await attachTags(t.database, locationId, ids, tagIds)
    })
    afterAll(async () => {
      await t.drop()
    })

    const updatedAt = async (contactIds: string[]) =>
      new Map((await findContactsByIds(t.database, locationId, contactIds)).map((c) => [c.id, c.updated_at]))
    const tagged = async () =>
      new Set((await listTagsOfContacts(t.database, locationId, ids)).map((row) => row.contact_id))

    it('touches every contact of a whole range, and only the named ones of a range with others in it', async () => {
      const whole = ids.slice(0, 50)
      await t.database.transaction((tx) =>
        touchContacts(tx, locationId, whole, '2030-01-01T00:00:00.000Z', keyRangeOf(whole)),
      )
      const gapped = ids.slice(50).filter((_, i) => i % 5 !== 2)
      await t.database.transaction((tx) =>
        touchContacts(tx, locationId, gapped, '2031-01-01T00:00:00.000Z', keyRangeOf(gapped)),
      )
      // Both lists are long enough for the range to be considered.
      expect(Math.min(whole.length, gapped.length)).toBeGreaterThanOrEqual(RANGE_WRITES_FROM_IDS)
      const after = await updatedAt(ids)
      for (const id of whole) expect(after.get(id)).toBe('2030-01-01T00:00:00.000Z')
      for (const id of ids.slice(50))
        expect(after.get(id) === '2031-01-01T00:00:00.000Z').toBe(gapped.includes(id))
    })

    it('adds over a range only the pairs it does not hold, answering exactly those', async () => {
      const chunk = ids.slice(0, 20)
      const [vip, promo] = tagIds as [string, string]
      const fresh = await ensureTagsByName(t.database, locationId, ['fresh'], '2026-01-01T00:00:00.000Z')
      const freshId = fresh[0]?.id as string
      const pairKeys = (pairs: ReadonlyArray<{ contact_id: string; tag_id: string }>) =>
        pairs.map((pair) => `${pair.contact_id}:${pair.tag_id}`).sort()
      // None held yet: every contact gets the tag.
      const first = await t.database.transaction((tx) =>
        attachTags(tx, locationId, chunk.slice(0, 10), [freshId], keyRangeOf(chunk.slice(0, 10))),
      )
      expect(pairKeys(first)).toEqual(
        pairKeys(chunk.slice(0, 10).map((id) => ({ contact_id: id, tag_id: freshId }))),
      )
      // Half the chunk holds `fresh`, all of it `vip` and `promo`: only the other half's `fresh` is added.
      const second = await t.database.transaction((tx) =>
        attachTags(tx, locationId, chunk, [vip, freshId, promo], keyRangeOf(chunk)),
      )
      expect(pairKeys(second)).toEqual(
        pairKeys(chunk.slice(10).map((id) => ({ contact_id: id, tag_id: freshId }))),
      )
      // Everything held: nothing added.
      expect(
        await t.database.transaction((tx) =>
          attachTags(tx, locationId, chunk, [freshId, vip], keyRangeOf(chunk)),
        ),
      ).toEqual([])
      // A tag that is not the location's is left out, as without a range, on both engines.
      const unknownTag = 'Z'.repeat(20)
      const withUnknown = await t.database.transaction((tx) =>
        attachTags(tx, locationId, chunk.slice(0, 5), [unknownTag, promo], keyRangeOf(chunk.slice(0, 5))),
      )
      expect(withUnknown).toEqual([])
      const held = await listTagsOfContacts(t.database, locationId, chunk)
      expect(held.filter((row) => row.tag_id === freshId)).toHaveLength(20)
      await t.database.transaction((tx) => detachTags(tx, locationId, chunk, [freshId], keyRangeOf(chunk)))
    })

    it('removes tags from every contact of a whole range, and only from the named ones of a range with others in it', async () => {
      const whole = ids.slice(0, 50)
      const removedWhole = await t.database.transaction((tx) =>
        detachTags(tx, locationId, whole, tagIds, keyRangeOf(whole)),
      )
      expect(removedWhole).toHaveLength(100)
      const gapped = ids.slice(50).filter((_, i) => i % 5 !== 2)
      const removedGapped = await t.database.transaction((tx) =>
        detachTags(tx, locationId, gapped, 'all', keyRangeOf(gapped)),
      )
      expect(new Set(removedGapped.map((pair) => pair.contact_id))).toEqual(new Set(gapped))
      expect(await tagged()).toEqual(new Set(ids.slice(50).filter((id) => !gapped.includes(id))))
    })
  })
}
