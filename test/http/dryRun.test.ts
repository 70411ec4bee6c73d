import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listEvents } from '../../src/store/events.js'
import { DIALECTS } from '../helpers/databases.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`dry runs on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    it('answers the bulk endpoint per contact, exactly, and writes nothing', async () => {
      const created = await s.request('POST', '/contacts/', {
        body: { locationId: s.locationId, firstName: 'Dry', tags: ['kept'] },
      })
      const id = created.body.contact.id
      const eventsBefore = (await listEvents(s.database, s.locationId)).length
      const dry = await s.request('POST', '/contacts/bulk/tags/update/add?dry_run=true', {
        body: { locationId: s.locationId, contacts: [id, 'bad'], tags: ['kept', 'would-be-new'] },
      })
      expect(dry).toEqual({
        status: 200,
        body: {
          succeded: false,
          errorCount: 1,
          dryRun: true,
          responses: [
            {
              contactId: id,
              message: 'Tags updated',
              type: 'success',
              oldTags: ['kept'],
              tagsAdded: ['would-be-new'],
              tagsRemoved: [],
            },
            { contactId: 'bad', message: 'contact id is not a valid firebase id', type: 'error' },
          ],
        },
      })
      expect((await s.request('GET', `/contacts/${id}`)).body.contact.tags).toEqual(['kept'])
      const tags = await s.request('GET', `/locations/${s.locationId}/tags`)
      expect(tags.body.tags.map((t: { name: string }) => t.name)).not.toContain('would-be-new')
      expect((await listEvents(s.database, s.locationId)).length).toBe(eventsBefore)
    })

    it('answers activity creation with counts and creates no activity', async () => {
      const v3 = (path: string, body: unknown) => s.request('POST', `/v3${path}`, { body, version: null })
      const tag = (await v3('/contact_tags', { name: 'preview' })).body
      const ids: string[] = []
      for (let i = 0; i < 3; i++)
        ids.push(
          (await v3('/contacts', { email_address: { address: `dry${i}@example.com` } })).body.contact_id,
        )
      const one = await v3('/activities/contacts_taggings_add', {
        source: { contact_ids: [ids[0]] },
        tag_ids: [tag.tag_id],
      })
      for (let i = 0; i < 200; i++) {
        if (
          (await s.request('GET', `/v3/activities/${one.body.activity_id}`, { version: null })).body.state ===
          'completed'
        )
          break
        await new Promise((r) => setTimeout(r, 25))
      }
      const before = (await s.request('GET', '/v3/activities?limit=500', { version: null })).body.activities
        .length
      const add = await v3('/activities/contacts_taggings_add?dry_run=true', {
        source: { contact_ids: ids },
        tag_ids: [tag.tag_id],
      })
      expect(add).toEqual({
        status: 200,
        body: { dry_run: true, items_total_count: 3, contacts_to_change: 2, taggings_to_change: 2 },
      })
      const remove = await v3('/activities/contacts_taggings_remove?dry_run=true', {
        source: { contact_ids: ids },
        tag_ids: [tag.tag_id],
      })
      expect(remove.body).toEqual({
        dry_run: true,
        items_total_count: 3,
        contacts_to_change: 1,
        taggings_to_change: 1,
      })
      expect(
        (await s.request('GET', '/v3/activities?limit=500', { version: null })).body.activities,
      ).toHaveLength(before)
      const deletion = await v3('/activities/contacts_tags_delete?dry_run=true', { tag_ids: [tag.tag_id] })
      expect(deletion.status).toBe(400)
      expect((await s.request('GET', `/v3/contact_tags/${tag.tag_id}`, { version: null })).status).toBe(200)
    })
  })
}
