import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listEvents } from '../../../src/store/events.js'
import { DIALECTS } from '../../helpers/databases.js'
import { makeContact } from '../../helpers/fixtures.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`HighLevel location tag routes on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const base = () => `/locations/${s.locationId}/tags`

    it('creates, reads, renames and lists tags; names are trimmed, lower-cased and unique', async () => {
      const created = await s.request('POST', base(), { body: { name: '  Hot Lead ' } })
      expect(created.status).toBe(200)
      const tag = created.body.tag
      expect(tag).toEqual({
        id: expect.stringMatching(/^[0-9A-Za-z]{20}$/),
        name: 'hot lead',
        locationId: s.locationId,
      })
      expect(await s.request('POST', base(), { body: { name: 'HOT LEAD' } })).toEqual({
        status: 400,
        body: { statusCode: 400, message: 'Tag with the same name already exists', error: 'Bad Request' },
      })
      expect(await s.request('GET', `${base()}/${tag.id}`)).toEqual({ status: 200, body: { tag } })
      const renamed = await s.request('PUT', `${base()}/${tag.id}`, { body: { name: 'Warm Lead' } })
      expect(renamed.body.tag).toEqual({ ...tag, name: 'warm lead' })
      await s.request('POST', base(), { body: { name: 'cold lead' } })
      const clash = await s.request('PUT', `${base()}/${tag.id}`, { body: { name: 'Cold Lead' } })
      expect(clash.status).toBe(400)
      const list = await s.request('GET', base())
      expect(list.body.tags.map((t: { name: string }) => t.name)).toEqual(['cold lead', 'warm lead'])
    })

    it('validates names', async () => {
      expect((await s.request('POST', base(), { body: { name: '   ' } })).body).toEqual({
        statusCode: 422,
        message: ['name should not be empty'],
        error: 'Unprocessable Entity',
      })
      expect((await s.request('POST', base(), { body: {} })).status).toBe(422)
      expect((await s.request('POST', base(), { body: { name: 'x'.repeat(256) } })).status).toBe(422)
    })

    it('deleting a tag untags every contact and records one event per live holder', async () => {
      const a = await makeContact(s.database, s.locationId, ['doomed', 'other'])
      const b = await makeContact(s.database, s.locationId, ['doomed'])
      const list = await s.request('GET', base())
      const doomed = list.body.tags.find((t: { name: string }) => t.name === 'doomed')
      expect(await s.request('DELETE', `${base()}/${doomed.id}`)).toEqual({
        status: 200,
        body: { succeded: true },
      })
      expect((await s.request('GET', `/contacts/${a}`)).body.contact.tags).toEqual(['other'])
      expect((await s.request('GET', `/contacts/${b}`)).body.contact.tags).toEqual([])
      for (const id of [a, b]) {
        expect((await listEvents(s.database, s.locationId, id)).at(-1)).toMatchObject({
          tags_removed: '["doomed"]',
        })
      }
      expect((await s.request('GET', `${base()}/${doomed.id}`)).body).toEqual({
        statusCode: 400,
        message: 'Tag not found',
        error: 'Bad Request',
      })
    })

    it('a tag id of another location is not found here', async () => {
      const theirs = await s.request('POST', `/locations/${s.other.locationId}/tags`, {
        body: { name: 'theirs' },
        token: s.other.token,
      })
      const id = theirs.body.tag.id
      expect((await s.request('GET', `${base()}/${id}`)).status).toBe(400)
      expect((await s.request('DELETE', `${base()}/${id}`)).status).toBe(400)
      expect(
        (await s.request('GET', `/locations/${s.other.locationId}/tags/${id}`, { token: s.other.token }))
          .status,
      ).toBe(200)
    })
  })
}
