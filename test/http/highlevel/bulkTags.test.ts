import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteContact } from '../../../src/services/contacts.js'
import { listEvents } from '../../../src/store/events.js'
import { DIALECTS } from '../../helpers/databases.js'
import { makeContact } from '../../helpers/fixtures.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const ASYNC_HINT =
  'for larger sets use the asynchronous activity API (POST /v3/activities/contacts_taggings_add or contacts_taggings_remove)'

for (const dialect of DIALECTS) {
  describe(`POST /contacts/bulk/tags/update/{type} on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const bulk = (type: string, body: unknown) =>
      s.request('POST', `/contacts/bulk/tags/update/${type}`, { body })
    const unprocessable = (message: string[]) => ({
      status: 422,
      body: { statusCode: 422, message, error: 'Unprocessable Entity' },
    })

    it('answers 201 with one entry per requested id, in order', async () => {
      const a = await makeContact(s.database, s.locationId, ['tag-1', 'tag-2'])
      const deleted = await makeContact(s.database, s.locationId)
      await deleteContact(s.database, s.locationId, deleted, 'test')
      const foreign = await makeContact(s.database, s.other.locationId)
      const response = await bulk('add', {
        contacts: [a, 'abcdef', deleted, foreign],
        tags: ['TAG-1 ', 'tag-3'],
        locationId: s.locationId,
      })
      expect(response).toEqual({
        status: 201,
        body: {
          succeded: false,
          errorCount: 3,
          responses: [
            {
              contactId: a,
              message: 'Tags updated',
              type: 'success',
              oldTags: ['tag-1', 'tag-2'],
              tagsAdded: ['tag-3'],
              tagsRemoved: [],
            },
            { contactId: 'abcdef', message: 'contact id is not a valid firebase id', type: 'error' },
            { contactId: deleted, message: 'contact is deleted', type: 'error' },
            { contactId: foreign, message: 'contact does not belong to location', type: 'error' },
          ],
        },
      })
    })

    it('keeps the field order of the contract byte for byte', async () => {
      const a = await makeContact(s.database, s.locationId)
      const raw = await fetch(`${s.baseUrl}/contacts/bulk/tags/update/add`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${s.token}`,
          version: '2021-07-28',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ contacts: [a, 'abcdef'], tags: ['x'], locationId: s.locationId }),
      })
      expect(await raw.text()).toBe(
        `{"succeded":false,"errorCount":1,"responses":[{"contactId":"${a}","message":"Tags updated","type":"success","oldTags":[],"tagsAdded":["x"],"tagsRemoved":[]},{"contactId":"abcdef","message":"contact id is not a valid firebase id","type":"error"}]}`,
      )
      expect(raw.headers.get('content-type')).toMatch(/^application\/json/)
    })

    it.each([
      [true, true],
      ['true', true],
      [false, false],
      ['false', false],
    ])('accepts removeAllTags %j', async (flag, removesAll) => {
      const a = await makeContact(s.database, s.locationId, ['keep', 'drop'])
      const response = await bulk('remove', {
        contacts: [a],
        tags: ['drop'],
        locationId: s.locationId,
        removeAllTags: flag,
      })
      expect(response.status).toBe(201)
      expect(response.body.responses[0].tagsRemoved).toEqual(removesAll ? ['drop', 'keep'] : ['drop'])
    })

    it('allows empty tags only together with removeAllTags', async () => {
      const a = await makeContact(s.database, s.locationId, ['z'])
      expect(await bulk('remove', { contacts: [a], tags: [], locationId: s.locationId })).toEqual(
        unprocessable(['tags must contain at least 1 elements']),
      )
      const ok = await bulk('remove', {
        contacts: [a],
        tags: [],
        locationId: s.locationId,
        removeAllTags: 'true',
      })
      expect(ok.body.responses[0].tagsRemoved).toEqual(['z'])
    })

    it('refuses removeAllTags with add', async () => {
      expect(
        await bulk('add', {
          contacts: ['qFSqySFkVvNzOSqgGqFi'],
          tags: ['t'],
          locationId: s.locationId,
          removeAllTags: true,
        }),
      ).toEqual(unprocessable(['removeAllTags can only be used with the remove type']))
    })

    it('answers 422 for a type other than add or remove', async () => {
      expect(
        await bulk('replace', { contacts: ['qFSqySFkVvNzOSqgGqFi'], tags: ['t'], locationId: s.locationId }),
      ).toEqual(unprocessable(['type must be one of the following values: add, remove']))
    })

    it('lists every schema problem at once', async () => {
      expect(
        await bulk('add', { contacts: 'qFSqySFkVvNzOSqgGqFi', tags: [1, 'ok', null], removeAllTags: 'yes' }),
      ).toEqual(
        unprocessable([
          'locationId should not be empty',
          'contacts must be an array',
          'each value in tags must be a string',
          'removeAllTags must be one of the following values: true, false, "true", "false"',
        ]),
      )
      expect(await bulk('add', undefined)).toEqual(unprocessable(['request body must be an object']))
      expect(await bulk('add', { contacts: [], tags: ['t'], locationId: s.locationId })).toEqual(
        unprocessable(['contacts must contain at least 1 elements']),
      )
    })

    it('rejects blank and over-long tag names', async () => {
      expect(
        await bulk('add', {
          contacts: ['qFSqySFkVvNzOSqgGqFi'],
          tags: ['  ', 'x'.repeat(256)],
          locationId: s.locationId,
        }),
      ).toEqual(
        unprocessable([
          'each value in tags should not be empty',
          'each value in tags must be shorter than or equal to 255 characters',
        ]),
      )
    })

    it('points over-limit requests to the async activity API', async () => {
      const ids = Array.from({ length: 1001 }, (_, i) => `id${String(i).padStart(18, '0')}`)
      expect(await bulk('add', { contacts: ids, tags: ['t'], locationId: s.locationId })).toEqual(
        unprocessable([`contacts must contain no more than 1000 elements; ${ASYNC_HINT}`]),
      )
      const tags = Array.from({ length: 101 }, (_, i) => `t${i}`)
      expect(
        await bulk('add', { contacts: ['qFSqySFkVvNzOSqgGqFi'], tags, locationId: s.locationId }),
      ).toEqual(unprocessable([`tags must contain no more than 100 elements; ${ASYNC_HINT}`]))
    })

    it('handles the full 1000 × 100 request', async () => {
      const ids = await Promise.all(Array.from({ length: 1000 }, () => makeContact(s.database, s.locationId)))
      const tags = Array.from({ length: 100 }, (_, i) => `big-${i}`)
      const response = await bulk('add', { contacts: ids, tags, locationId: s.locationId })
      expect(response.status).toBe(201)
      expect(response.body.errorCount).toBe(0)
      expect(response.body.responses).toHaveLength(1000)
      expect(response.body.responses[999].tagsAdded).toHaveLength(100)
    })

    it('answers malformed JSON with 400 in the HighLevel shape and applies nothing', async () => {
      const before = (await listEvents(s.database, s.locationId)).length
      const response = await s.request('POST', '/contacts/bulk/tags/update/add', {
        rawBody: '{"contacts": [',
      })
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' })
      expect((await listEvents(s.database, s.locationId)).length).toBe(before)
    })

    it('replays the vendor example body against real contacts', async () => {
      // The seed's example: the same id twice, a malformed id, and an id from another location.
      const mine = await makeContact(s.database, s.locationId, ['tag-1', 'tag-2'])
      const foreign = await makeContact(s.database, s.other.locationId)
      const response = await bulk('add', {
        contacts: [mine, 'abcdef', mine, foreign],
        tags: ['tag-1', 'tag-2'],
        locationId: s.locationId,
        removeAllTags: 'false',
      })
      expect(response.status).toBe(201)
      expect(response.body.responses).toEqual([
        {
          contactId: mine,
          message: 'Tags updated',
          type: 'success',
          oldTags: ['tag-1', 'tag-2'],
          tagsAdded: [],
          tagsRemoved: [],
        },
        { contactId: 'abcdef', message: 'contact id is not a valid firebase id', type: 'error' },
        {
          contactId: mine,
          message: 'Tags updated',
          type: 'success',
          oldTags: ['tag-1', 'tag-2'],
          tagsAdded: [],
          tagsRemoved: [],
        },
        { contactId: foreign, message: 'contact does not belong to location', type: 'error' },
      ])
      expect(response.body).toMatchObject({ succeded: false, errorCount: 2 })
    })
  })
}
