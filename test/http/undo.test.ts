import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACTIVITY_SOURCE, listEvents } from '../../src/store/events.js'
import { tagbase } from '../helpers/cli.js'
import { DIALECTS } from '../helpers/databases.js'
import { ccId } from '../helpers/ids.js'
import { seedContacts } from '../helpers/seed.js'
import { finishedActivity, startTestServer, type TestServer } from '../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`activity undo on ${dialect}`, () => {
    let s: TestServer
    let tags: Record<string, string>

    const v3 = (method: string, path: string, body?: unknown, token?: string) =>
      s.request(method, `/v3${path}`, { body, version: null, ...(token ? { token } : {}) })

    async function tagNames(contactId: string): Promise<string[]> {
      const { body } = await s.request('GET', `/contacts/${contactId}`)
      return [...body.contact.tags].sort()
    }

    async function runActivity(kind: string, body: unknown) {
      const created = await v3('POST', `/activities/${kind}`, body)
      expect(created.status).toBe(201)
      return finishedActivity(s, created.body.activity_id)
    }

    beforeAll(async () => {
      // Chunks of 2 so undo works through several chunks and resumes from its cursor.
      s = await startTestServer(dialect, { chunkSize: 2 })
      tags = {}
      for (const name of ['promo', 'vip', 'other']) {
        const { body } = await v3('POST', '/contact_tags', { name })
        tags[name] = body.tag_id
      }
    })
    afterAll(() => s.close())

    it('restores what an add activity changed, leaving contacts changed since alone and reporting them', async () => {
      const [keeps, changedLater, unrelatedLater, deletedLater, plain1, plain2] = await seedContacts(
        s.database,
        s.locationId,
        6,
      )
      const ids = [keeps, changedLater, unrelatedLater, deletedLater, plain1, plain2] as string[]
      // `keeps` had promo before: the activity only added vip there, so undo must keep promo.
      await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [keeps], tags: ['promo'], locationId: s.locationId },
      })
      const original = await runActivity('contacts_taggings_add', {
        source: { contact_ids: ids.map(ccId) },
        tag_ids: [tags.promo, tags.vip],
      })
      expect(original.state).toBe('completed')

      // After the activity: someone removes vip from one contact (a change to an undone tag),
      // adds an unrelated tag to another, and deletes a third.
      await s.request('POST', '/contacts/bulk/tags/update/remove', {
        body: { contacts: [changedLater], tags: ['vip'], locationId: s.locationId },
      })
      await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [unrelatedLater], tags: ['other'], locationId: s.locationId },
      })
      expect((await s.request('DELETE', `/contacts/${deletedLater}`)).status).toBe(200)

      const undo = await v3('POST', `/activities/${original.activity_id}/undo`)
      expect(undo.status).toBe(201)
      expect(undo.body).toMatchObject({
        state: 'initialized',
        _links: { undo_of: { href: `/v3/activities/${original.activity_id}` } },
      })
      const done = await finishedActivity(s, undo.body.activity_id)
      expect(done).toMatchObject({
        state: 'completed',
        percent_done: 100,
        status: { items_total_count: 6, items_completed_count: 6, items_skipped_count: 2 },
      })
      // Reported in the order the activity went through them (contact id order).
      expect([...done.activity_errors].sort()).toEqual(
        [
          `contact ${ccId(changedLater as string)} left alone: its tags were changed again after the activity`,
          `contact ${ccId(deletedLater as string)} left alone: the contact was deleted after the activity`,
        ].sort(),
      )

      expect(await tagNames(keeps as string)).toEqual(['promo'])
      expect(await tagNames(changedLater as string)).toEqual(['promo'])
      expect(await tagNames(unrelatedLater as string)).toEqual(['other'])
      expect(await tagNames(plain1 as string)).toEqual([])
      expect(await tagNames(plain2 as string)).toEqual([])

      // The undo's changes are in the event log like any other (and so go to webhooks).
      const undoEvents = (await listEvents(s.database, s.locationId)).filter(
        (e) => e.activity_id === done.activity_id,
      )
      expect(undoEvents.every((e) => e.source === ACTIVITY_SOURCE)).toBe(true)
      const byContact = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]))
      expect(undoEvents.map((e) => [e.contact_id, JSON.parse(e.tags_removed)]).sort(byContact)).toEqual(
        [
          [keeps, ['vip']],
          [unrelatedLater, ['promo', 'vip']],
          [plain1, ['promo', 'vip']],
          [plain2, ['promo', 'vip']],
        ].sort(byContact),
      )

      const again = await v3('POST', `/activities/${original.activity_id}/undo`)
      expect(again.status).toBe(409)
      expect(again.body[0].error_message).toContain(`already undone by activity ${done.activity_id}`)
    })

    it('puts back what a remove activity took off', async () => {
      const ids = await seedContacts(s.database, s.locationId, 3)
      await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: ids, tags: ['vip'], locationId: s.locationId },
      })
      const original = await runActivity('contacts_taggings_remove', {
        source: { contact_ids: ids.map(ccId) },
        tag_ids: [tags.vip],
      })
      for (const id of ids) expect(await tagNames(id)).toEqual([])
      const undo = await tagbase(
        s,
        'activity',
        'undo',
        '--location',
        s.locationId,
        '--id',
        original.activity_id,
      )
      expect(undo).toMatchObject({ undoOf: original.activity_id, state: 'initialized' })
      s.worker.wake()
      expect(await finishedActivity(s, undo.activityId)).toMatchObject({
        state: 'completed',
        activity_errors: [],
      })
      for (const id of ids) expect(await tagNames(id)).toEqual(['vip'])
    })

    it('refuses what cannot be undone, in the Constant Contact error format', async () => {
      const missing = await v3('POST', '/activities/00000000-0000-4000-8000-000000000000/undo')
      expect(missing.status).toBe(404)
      expect(missing.body[0].error_key).toBe('http.status.not_found')

      // An undo of an undo is refused: an undo activity is no add, remove or deletion.
      const ids0 = await seedContacts(s.database, s.locationId, 1)
      const added = await runActivity('contacts_taggings_add', {
        source: { contact_ids: ids0.map(ccId) },
        tag_ids: [tags.vip],
      })
      const undone = await v3('POST', `/activities/${added.activity_id}/undo`)
      await finishedActivity(s, undone.body.activity_id)
      const notUndoable = await v3('POST', `/activities/${undone.body.activity_id}/undo`)
      expect(notUndoable).toEqual({
        status: 409,
        body: [
          {
            error_key: 'http.status.conflict',
            error_message: expect.stringContaining(
              'contacts_taggings_add, contacts_taggings_remove, contacts_tags_delete',
            ),
          },
        ],
      })

      // Another tenant's activity is not found.
      const ids = await seedContacts(s.database, s.locationId, 1)
      const mine = await runActivity('contacts_taggings_add', {
        source: { contact_ids: ids.map(ccId) },
        tag_ids: [tags.vip],
      })
      const foreign = await v3('POST', `/activities/${mine.activity_id}/undo`, undefined, s.other.token)
      expect(foreign.status).toBe(404)
    })

    it('undoes a tag deletion: the tag comes back (a new id) on exactly its holders, deleted contacts skipped', async () => {
      const ids = await seedContacts(s.database, s.locationId, 5)
      const [gone, ...holders] = ids as [string, ...string[]]
      const tag = (await v3('POST', '/contact_tags', { name: 'Doomed Tag' })).body
      await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [gone, ...holders.slice(0, 3)], tags: ['doomed tag'], locationId: s.locationId },
      })
      const deletion = await runActivity('contacts_tags_delete', { tag_ids: [tag.tag_id] })
      expect(deletion.state).toBe('completed')
      expect((await v3('GET', `/contact_tags/${tag.tag_id}`)).status).toBe(404)
      expect((await s.request('DELETE', `/contacts/${gone}`)).status).toBe(200)

      const undo = await v3('POST', `/activities/${deletion.activity_id}/undo`)
      expect(undo.status).toBe(201)
      const done = await finishedActivity(s, undo.body.activity_id)
      expect(done).toMatchObject({
        state: 'completed',
        status: { items_total_count: 4, items_completed_count: 4, items_skipped_count: 1 },
      })
      expect(done.activity_errors).toEqual([
        expect.stringContaining(`contact ${ccId(gone as string)} left alone`),
      ])
      for (const id of holders.slice(0, 3)) expect(await tagNames(id), id).toEqual(['doomed tag'])
      expect(await tagNames(holders[3] as string)).toEqual([])
      const recreated = (await v3('GET', '/contact_tags?limit=500')).body.tags.find(
        (t: { name: string }) => t.name === 'doomed tag',
      )
      expect(recreated.tag_id).not.toBe(tag.tag_id)
    })

    it('refuses to undo an activity that is still running', async () => {
      await s.worker.stop()
      try {
        const ids = await seedContacts(s.database, s.locationId, 1)
        const queued = await v3('POST', '/activities/contacts_taggings_add', {
          source: { contact_ids: ids.map(ccId) },
          tag_ids: [tags.vip],
        })
        const refused = await v3('POST', `/activities/${queued.body.activity_id}/undo`)
        expect(refused.status).toBe(409)
        expect(refused.body[0].error_message).toContain('still initialized')
      } finally {
        s.worker.start()
      }
    })
  })
}
