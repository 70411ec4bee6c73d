import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { presentBulkTagResponse } from '../../src/http/highlevel/bulkTagResponse.js'
import { createTaggingActivity } from '../../src/services/activities.js'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import { deleteContact, getContact } from '../../src/services/contacts.js'
import { importContacts } from '../../src/services/importContacts.js'
import { deleteLocationTag } from '../../src/services/locationTags.js'
import { createUndoActivity } from '../../src/services/undoActivity.js'
import { listTagsOfContacts } from '../../src/store/contactTags.js'
import { listEvents } from '../../src/store/events.js'
import { ensureTagsByName, listTags } from '../../src/store/tags.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation } from '../helpers/fixtures.js'

for (const dialect of DIALECTS) {
  describe(`bulkUpdateTags on ${dialect}`, () => {
    let t: TestDatabase
    let locationId: string
    /** The SQL of every statement run while `recording` is on. */
    const statements: string[] = []
    let recording = false
    let otherLocationId: string
    const bulk = async (input: {
      operation: 'add' | 'remove'
      contactIds: string[]
      tagNames: string[]
      removeAllTags?: boolean
      locationId?: string
    }) =>
      // Worded as HighLevel's endpoint answers, where the messages are part of the contract.
      presentBulkTagResponse(
        await bulkUpdateTags(t.database, {
          locationId,
          removeAllTags: false,
          source: 'test',
          ...input,
        }),
      )

    beforeAll(async () => {
      t = await createTestDatabase(dialect, {
        onQuery: (query) => {
          if (recording) statements.push(query.sql)
        },
      })
      locationId = (await makeLocation(t.database)).id
      otherLocationId = (await makeLocation(t.database, 'other')).id
    })
    afterAll(() => t.drop())

    /** The contact's tag changes as its chain lists them, newest first. */
    const chainOf = async (contactId: string) => {
      const chain: number[] = []
      const contact = await t.database.kysely
        .selectFrom('contacts')
        .select('last_tag_event_id')
        .where('location_id', '=', locationId)
        .where('id', '=', contactId)
        .executeTakeFirstOrThrow()
      let next = contact.last_tag_event_id
      while (next !== null) {
        chain.push(next)
        const event = await t.database.kysely
          .selectFrom('events')
          .select('previous_tag_event_id')
          .where('location_id', '=', locationId)
          .where('id', '=', next)
          .executeTakeFirstOrThrow()
        next = event.previous_tag_event_id
      }
      return chain
    }

    it('adds only missing tags, reports old tags, and creates new tag names in the location', async () => {
      const a = await makeContact(t.database, locationId, ['tag-1'])
      const b = await makeContact(t.database, locationId)
      const result = await bulk({ operation: 'add', contactIds: [a, b], tagNames: ['tag-1', 'brand-new'] })
      expect(result.succeded).toBe(true)
      expect(result.responses).toEqual([
        {
          contactId: a,
          message: 'Tags updated',
          type: 'success',
          oldTags: ['tag-1'],
          tagsAdded: ['brand-new'],
          tagsRemoved: [],
        },
        {
          contactId: b,
          message: 'Tags updated',
          type: 'success',
          oldTags: [],
          tagsAdded: ['tag-1', 'brand-new'],
          tagsRemoved: [],
        },
      ])
      expect((await listTags(t.database, locationId)).map((tag) => tag.name)).toEqual(
        expect.arrayContaining(['brand-new', 'tag-1']),
      )
      expect((await getContact(t.database, locationId, b)).tags).toEqual(['brand-new', 'tag-1'])
    })

    it('classifies every unusable id and changes nothing for them', async () => {
      const live = await makeContact(t.database, locationId)
      const deleted = await makeContact(t.database, locationId, ['keep'])
      await deleteContact(t.database, locationId, deleted, 'test')
      const foreign = await makeContact(t.database, otherLocationId, ['theirs'])
      const result = await bulk({
        operation: 'add',
        contactIds: ['abcdef', deleted, foreign, 'Zzzzzzzzzzzzzzzzzzzz', live],
        tagNames: ['x'],
      })
      expect(result.errorCount).toBe(4)
      expect(result.succeded).toBe(false)
      expect(result.responses.map((r) => r.message)).toEqual([
        'contact id is not a valid firebase id',
        'contact is deleted',
        'contact does not belong to location',
        'contact not found',
        'Tags updated',
      ])
      expect((await getContact(t.database, otherLocationId, foreign)).tags).toEqual(['theirs'])
      // Its ContactCreate and the tag update of its creation: nothing from this request.
      expect((await listEvents(t.database, otherLocationId, foreign)).map((e) => e.type)).toEqual([
        'ContactCreate',
        'ContactTagUpdate',
      ])
    })

    it('lets a repeated id see the state its first occurrence left', async () => {
      const a = await makeContact(t.database, locationId, ['old'])
      const result = await bulk({ operation: 'add', contactIds: [a, a], tagNames: ['new'] })
      expect(result.responses[0]).toMatchObject({ oldTags: ['old'], tagsAdded: ['new'] })
      expect(result.responses[1]).toMatchObject({ oldTags: ['new', 'old'], tagsAdded: [], tagsRemoved: [] })
    })

    it('removes named tags, or all of them with removeAllTags', async () => {
      const a = await makeContact(t.database, locationId, ['r1', 'r2', 'r3'])
      const named = await bulk({ operation: 'remove', contactIds: [a], tagNames: ['r3', 'absent', 'r1'] })
      expect(named.responses[0]).toMatchObject({
        oldTags: ['r1', 'r2', 'r3'],
        tagsAdded: [],
        tagsRemoved: ['r3', 'r1'],
      })
      const all = await bulk({ operation: 'remove', contactIds: [a], tagNames: [], removeAllTags: true })
      expect(all.responses[0]).toMatchObject({ oldTags: ['r2'], tagsRemoved: ['r2'] })
      expect((await getContact(t.database, locationId, a)).tags).toEqual([])
    })

    it('writes one ContactTagUpdate event per contact that really changed', async () => {
      const changed = await makeContact(t.database, locationId)
      const unchanged = await makeContact(t.database, locationId, ['e1'])
      const before = (await listEvents(t.database, locationId)).length
      await bulk({ operation: 'add', contactIds: [changed, unchanged, changed], tagNames: ['e1'] })
      const events = (await listEvents(t.database, locationId)).slice(before)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        contact_id: changed,
        type: 'ContactTagUpdate',
        tags_added: '["e1"]',
        tags_removed: '[]',
        source: 'test',
      })
    })

    it('does not create tags when no contact could take them', async () => {
      await bulk({ operation: 'add', contactIds: ['abcdef'], tagNames: ['never-created'] })
      expect((await listTags(t.database, locationId)).map((tag) => tag.name)).not.toContain('never-created')
    })

    it('serialises concurrent requests on the same contacts: each tag is reported added once', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, () => makeContact(t.database, locationId)))
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          bulk({ operation: 'add', contactIds: ids, tagNames: ['race-1', 'race-2'] }),
        ),
      )
      for (const id of ids) {
        const added = results.flatMap((r) =>
          r.responses.flatMap((entry) =>
            entry.contactId === id && entry.type === 'success' ? entry.tagsAdded : [],
          ),
        )
        expect(added.sort()).toEqual(['race-1', 'race-2'])
        // Every answer must describe a real state: what it saw plus what it added is the final set.
        for (const r of results) {
          const entry = r.responses.find((e) => e.contactId === id)
          if (entry?.type !== 'success') throw new Error('expected success')
          expect([...entry.oldTags, ...entry.tagsAdded].sort()).toEqual(['race-1', 'race-2'])
        }
        const tagUpdates = (await listEvents(t.database, locationId, id)).filter(
          (e) => e.type === 'ContactTagUpdate',
        )
        expect(tagUpdates).toHaveLength(1)
      }
    })

    it('merges concurrent requests making one edit, answering each as it would alone', async () => {
      const groups = await Promise.all(
        Array.from({ length: 6 }, async () => [
          await makeContact(t.database, locationId, ['had']),
          await makeContact(t.database, locationId),
        ]),
      )
      const [foreign] = await Promise.all([makeContact(t.database, otherLocationId)])
      statements.length = 0
      recording = true
      const results = await Promise.all(
        groups.map(([had, fresh], i) =>
          bulk({
            operation: 'add',
            // Ids this request alone names, mixed with ones no request can tag.
            contactIds: [had as string, 'abcdef', fresh as string, ...(i === 0 ? [foreign as string] : [])],
            tagNames: ['merged-2', 'merged-1'],
          }),
        ),
      )
      recording = false
      // All six queued before the first transaction began, and it took them all: one batch.
      expect(statements.filter((s) => s.includes('insert into "events"'))).toHaveLength(1)
      results.forEach((result, i) => {
        const [had, fresh] = groups[i] as [string, string]
        const updated = {
          message: 'Tags updated',
          type: 'success',
          tagsAdded: ['merged-2', 'merged-1'],
          tagsRemoved: [],
        }
        expect(result.responses).toEqual([
          { contactId: had, ...updated, oldTags: ['had'] },
          expect.objectContaining({ contactId: 'abcdef', message: 'contact id is not a valid firebase id' }),
          { contactId: fresh, ...updated, oldTags: [] },
          ...(i === 0
            ? [
                expect.objectContaining({
                  contactId: foreign,
                  message: 'contact does not belong to location',
                }),
              ]
            : []),
        ])
      })
      for (const id of groups.flat()) {
        const updates = (await listEvents(t.database, locationId, id)).filter(
          (e) => e.type === 'ContactTagUpdate',
        )
        expect(JSON.parse(updates.at(-1)?.tags_added ?? '[]')).toEqual(['merged-2', 'merged-1'])
      }
    })

    it('adds each tag once when requests, an activity and an import race on the same contacts', async () => {
      // Whatever the interleaving of the three writers of tag rows, none fails on a duplicate, each
      // pair exists once and each contact logs each tag added exactly once (by whichever added it).
      const emails = Array.from({ length: 30 }, (_, i) => `racer${i}-${Date.now()}@example.com`)
      const ids: string[] = []
      for (const email of emails) ids.push(await makeContact(t.database, locationId, [], { email }))
      const tags = await ensureTagsByName(
        t.database,
        locationId,
        ['mix-1', 'mix-2'],
        new Date().toISOString(),
      )
      await createTaggingActivity(t.database, locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'contact_ids', contactIds: ids },
        tagIds: tags.map((tag) => tag.id),
      })
      const worker = new ActivityWorker(t.database, { chunkSize: 4, owner: 'race' })
      async function* importRows() {
        yield { line: 1, values: ['Email', 'Tags'] }
        for (const [i, email] of emails.entries()) yield { line: i + 2, values: [email, 'mix-2;mix-1'] }
      }
      await Promise.all([
        (async () => {
          while (await worker.runOne()) {}
        })(),
        importContacts(t.database, locationId, importRows(), undefined, 5),
        ...Array.from({ length: 4 }, (_, i) =>
          bulk({
            operation: 'add',
            contactIds: i % 2 ? ids : [...ids].reverse(),
            tagNames: ['mix-1', 'mix-2'],
          }),
        ),
      ])
      const rows = await listTagsOfContacts(t.database, locationId, ids)
      expect(rows).toHaveLength(2 * ids.length)
      for (const id of ids) {
        const added = (await listEvents(t.database, locationId, id))
          .filter((e) => e.type === 'ContactTagUpdate')
          .flatMap((e) => JSON.parse(e.tags_added) as string[])
        expect(added.sort()).toEqual(['mix-1', 'mix-2'])
      }
    })

    it("keeps each contact's chain of tag changes whatever writes them, interleaved", async () => {
      // Every writer of ContactTagUpdate events links each to the contact's previous one and points
      // the contact at it (migration 0024); the readers of later changes (undo, webhook payloads)
      // walk that chain, so it must list exactly the contact's tag changes, newest first.
      const emails = Array.from({ length: 12 }, (_, i) => `chain${i}-${Date.now()}@example.com`)
      const ids: string[] = []
      for (const email of emails)
        ids.push(await makeContact(t.database, locationId, ['chain-doomed'], { email }))
      const doomed = (await listTags(t.database, locationId)).find((tag) => tag.name === 'chain-doomed')
      const [added] = await ensureTagsByName(t.database, locationId, ['chain-a'], new Date().toISOString())
      const activity = await createTaggingActivity(t.database, locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'contact_ids', contactIds: ids },
        tagIds: [added?.id as string],
      })
      const worker = new ActivityWorker(t.database, { chunkSize: 5, owner: 'chain' })
      async function* importRows() {
        yield { line: 1, values: ['Email', 'Tags'] }
        for (const [i, email] of emails.entries()) yield { line: i + 2, values: [email, 'chain-b'] }
      }
      await Promise.all([
        (async () => {
          while (await worker.runOne()) {}
        })(),
        importContacts(t.database, locationId, importRows(), undefined, 4),
        deleteLocationTag(t.database, locationId, doomed?.id as string),
        ...['add', 'remove', 'add'].map((operation) =>
          bulk({ operation: operation as 'add' | 'remove', contactIds: ids, tagNames: ['chain-c'] }),
        ),
      ])
      await createUndoActivity(t.database, locationId, activity.id)
      while (await worker.runOne()) {}
      await deleteContact(t.database, locationId, ids[0] as string, 'test')
      for (const id of ids) {
        const tagChanges = (await listEvents(t.database, locationId, id))
          .filter((e) => e.type === 'ContactTagUpdate')
          .map((e) => e.id)
        // The create's tags, the activity, its undo, the import, the tag's deletion, and the edits
        // that changed something (a removal before any add does not, nor a second add).
        expect(tagChanges.length).toBeGreaterThanOrEqual(6)
        expect(await chainOf(id)).toEqual(tagChanges.reverse())
      }
    })

    it('keeps tenants apart even when names collide', async () => {
      const mine = await makeContact(t.database, locationId)
      const theirs = await makeContact(t.database, otherLocationId)
      await bulk({ operation: 'add', contactIds: [mine], tagNames: ['shared-name'] })
      await bulk({
        operation: 'add',
        contactIds: [theirs],
        tagNames: ['shared-name'],
        locationId: otherLocationId,
      })
      const myTag = (await listTags(t.database, locationId)).find((tag) => tag.name === 'shared-name')
      const theirTag = (await listTags(t.database, otherLocationId)).find((tag) => tag.name === 'shared-name')
      expect(myTag?.id).toBeDefined()
      expect(myTag?.id).not.toBe(theirTag?.id)
      const removed = await bulk({
        operation: 'remove',
        contactIds: [mine, theirs],
        tagNames: ['shared-name'],
      })
      expect(removed.responses[1]).toMatchObject({ message: 'contact does not belong to location' })
      expect((await getContact(t.database, otherLocationId, theirs)).tags).toEqual(['shared-name'])
    })
  })
}
