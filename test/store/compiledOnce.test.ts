import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newFirebaseId } from '../../src/domain/ids.js'
import { compiledOnce } from '../../src/store/compiledOnce.js'
import {
  type LockValues,
  liveContactsLocked,
  lockingLiveContactIds,
  lockingLiveContactRows,
} from '../../src/store/contacts.js'
import {
  attachingExistingTagsByName,
  attachingExistingTagsByNameOnce,
  attachingTags,
  attachingTagsOnce,
  detachingListedTags,
  detachingListedTagsOnce,
  readingTagsOfContacts,
  readingTagsOfContactsOnce,
} from '../../src/store/contactTags.js'
import type { Db } from '../../src/store/database.js'
import { isOneOf, rowsAsTable } from '../../src/store/dialect.js'
import {
  insertingTagUpdateEvents,
  insertingTagUpdateEventsOnce,
  linkingAndTouchingContacts,
  linkingAndTouchingContactsOnce,
  type TouchLogAndQueueValues,
  tagUpdateStatementValues,
  touchingLoggingAndQueueing,
  touchingLoggingAndQueueingOnce,
} from '../../src/store/events.js'
import { findingActiveToken, findingActiveTokenOnce } from '../../src/store/tokens.js'
import { findingAnyWebhook, findingAnyWebhookOnce } from '../../src/store/webhooks.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'

/** The parts of a compiled statement that reach the database. */
const wire = (q: { sql: string; parameters: readonly unknown[] }) => ({
  sql: q.sql,
  parameters: q.parameters,
})

/** The values recordContactTagUpdates would bind for `contacts` new contacts' tag changes. */
function touchValues(contacts: number, activityId: string | null): TouchLogAndQueueValues {
  const contactIds = Array.from({ length: contacts }, newFirebaseId)
  const updates = contactIds.map((contactId, i) => ({ contactId, tagsAdded: [`tag-${i}`], tagsRemoved: [] }))
  const now = new Date(Date.UTC(2026, 11, contacts)).toISOString()
  return tagUpdateStatementValues(newFirebaseId(), updates, { source: `source-${contacts}`, activityId }, now)
}

for (const dialect of DIALECTS) {
  describe(`statements compiled once on ${dialect}`, () => {
    let t: TestDatabase
    let db: Db
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      db = t.database
    })
    afterAll(() => t.drop())

    it('binds each run its own values where the plain build binds them, derived values included', () => {
      const build = (d: Db, v: { locationId: string; ids: readonly string[]; rows: Array<{ a: string }> }) =>
        d.kysely
          .selectFrom('contacts')
          .innerJoin(rowsAsTable(d, v.rows, 'r', { a: 'text' }), 'r.a', 'contacts.id')
          .select('contacts.id')
          .where('contacts.location_id', '=', v.locationId)
          .where(isOneOf(d, 'contacts.id', v.ids))
      const once = compiledOnce(build)
      for (const n of [1, 3, 7, 3]) {
        const values = {
          locationId: newFirebaseId(),
          ids: Array.from({ length: n }, newFirebaseId),
          rows: Array.from({ length: n }, () => ({ a: newFirebaseId() })),
        }
        expect(wire(once(db, values))).toEqual(wire(build(db, values).compile()))
      }
    })

    it('refuses, where the statement is built, a builder that computes with a value', () => {
      const once = compiledOnce((d: Db, v: { ids: readonly string[] }) =>
        d.kysely
          .selectFrom('contacts')
          .select('id')
          .where(sql<boolean>`id in (${JSON.stringify(v.ids)})`),
      )
      expect(() => once(db, { ids: ['a'] })).toThrow(/bound later/)
      const templated = compiledOnce((d: Db, v: { id: string }) =>
        d.kysely.selectFrom('contacts').select('id').where('id', '=', `${v.id}-suffix`),
      )
      expect(() => templated(db, { id: 'a' })).toThrow(/bound later/)
    })

    it("compiles the contacts' lock, ids or whole rows, as the plain build does", () => {
      for (const n of [1, 10, 3]) {
        const ids = Array.from({ length: n }, newFirebaseId)
        const sorted = [...ids].sort()
        const values: LockValues = {
          locationId: newFirebaseId(),
          ids,
          first: sorted[0] as string,
          last: sorted[n - 1] as string,
        }
        expect(wire(lockingLiveContactIds(db, values))).toEqual(
          wire(liveContactsLocked(db, values).select('id').compile()),
        )
        expect(wire(lockingLiveContactRows(db, values))).toEqual(
          wire(liveContactsLocked(db, values).selectAll().compile()),
        )
      }
    })

    it("compiles a bulk request's tag read, tag-row insert and removal as the plain build does", () => {
      for (const n of [1, 10, 3]) {
        const contactIds = Array.from({ length: n }, newFirebaseId)
        const tagIds = Array.from({ length: 4 - (n % 3) }, newFirebaseId)
        const sorted = [...contactIds].sort()
        const locationId = newFirebaseId()
        const read = { locationId, contactIds, first: sorted[0] as string, last: sorted[n - 1] as string }
        expect(wire(readingTagsOfContactsOnce(db, read))).toEqual(
          wire(readingTagsOfContacts(db, read).compile()),
        )
        const pairs = { locationId, contactIds, tagIds }
        expect(wire(attachingTagsOnce(db, pairs))).toEqual(wire(attachingTags(db, pairs).compile()))
        expect(wire(detachingListedTagsOnce(db, pairs))).toEqual(
          wire(detachingListedTags(db, pairs).compile()),
        )
        if (dialect === 'postgres') {
          const byName = { locationId, contactIds, names: tagIds, nameCount: tagIds.length }
          expect(wire(attachingExistingTagsByNameOnce(db, byName))).toEqual(
            wire(attachingExistingTagsByName(db, byName).compile()),
          )
        }
      }
    })

    it("compiles a request's token and webhook lookups, and SQLite's event insert and link, as the plain build does", () => {
      for (const n of [1, 10, 3]) {
        const tokenHash = newFirebaseId()
        expect(wire(findingActiveTokenOnce(db, { tokenHash }))).toEqual(
          wire(findingActiveToken(db, { tokenHash }).compile()),
        )
        const locationId = newFirebaseId()
        expect(wire(findingAnyWebhookOnce(db, { locationId }))).toEqual(
          wire(findingAnyWebhook(db, { locationId }).compile()),
        )
        const values = touchValues(n, n === 10 ? newFirebaseId() : null)
        expect(wire(insertingTagUpdateEventsOnce(db, values))).toEqual(
          wire(insertingTagUpdateEvents(db, values).compile()),
        )
        const link = { locationId, first: n, last: 2 * n, now: values.now }
        expect(wire(linkingAndTouchingContactsOnce(db, link))).toEqual(
          wire(linkingAndTouchingContacts(db, link).compile()),
        )
      }
    })

    // SQLite runs these writes one by one (no data-modifying WITH), so the statement is PostgreSQL's.
    if (dialect === 'postgres')
      it('compiles the touch, events and deliveries statement as the plain build does', () => {
        for (const values of [touchValues(1, null), touchValues(10, newFirebaseId()), touchValues(3, null)])
          expect(wire(touchingLoggingAndQueueingOnce(db, values))).toEqual(
            wire(touchingLoggingAndQueueing(db, values).compile()),
          )
      })
  })
}
