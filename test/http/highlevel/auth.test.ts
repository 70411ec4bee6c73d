import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { makeContact, makeToken } from '../../helpers/fixtures.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const UNAUTHORIZED = {
  statusCode: 401,
  message: 'Invalid token: access token is invalid',
  error: 'Unauthorized',
}

for (const dialect of DIALECTS) {
  describe(`HighLevel auth on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const bulkBody = () => ({ contacts: ['qFSqySFkVvNzOSqgGqFi'], tags: ['t'], locationId: s.locationId })

    it.each([
      ['missing', null],
      ['unknown', 'pit-00000000-0000-0000-0000-000000000000'],
      ['malformed', ''],
    ])('answers 401 for a %s token', async (_label, token) => {
      const response = await s.request('POST', '/contacts/bulk/tags/update/add', { body: bulkBody(), token })
      expect(response).toEqual({ status: 401, body: UNAUTHORIZED })
    })

    it('accepts the scheme name in any case', async () => {
      const response = await fetch(`${s.baseUrl}/locations/${s.locationId}/tags`, {
        headers: { authorization: `bearer ${s.token}`, version: '2021-07-28' },
      })
      expect(response.status).toBe(200)
    })

    it.each([
      [null, 'Version header is required; send Version: 2021-07-28'],
      ['2023-02-21', 'Version header must be 2021-07-28; got "2023-02-21"'],
    ])('answers 400 naming the Version header when it is %s', async (version, message) => {
      const response = await s.request('GET', `/locations/${s.locationId}/tags`, { version })
      expect(response).toEqual({ status: 400, body: { statusCode: 400, message, error: 'Bad Request' } })
    })

    it('answers 403 when the token names another location, and changes nothing there', async () => {
      const theirs = await makeContact(s.database, s.other.locationId)
      const response = await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [theirs], tags: ['intrusion'], locationId: s.other.locationId },
      })
      expect(response).toEqual({
        status: 403,
        body: {
          statusCode: 403,
          message: 'The token does not have access to this location.',
          error: 'Forbidden',
        },
      })
      const asOwner = await s.request('GET', `/contacts/${theirs}`, { token: s.other.token })
      expect(asOwner.body.contact.tags).toEqual([])
      for (const path of [
        `/locations/${s.other.locationId}/tags`,
        `/contacts/?locationId=${s.other.locationId}`,
      ]) {
        expect((await s.request('GET', path)).status).toBe(403)
      }
    })

    it('answers 403 when the token lacks the route scope', async () => {
      const readOnly = await makeToken(s.database, s.locationId, ['contacts.readonly'])
      const write = await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: bulkBody(),
        token: readOnly,
      })
      expect(write).toEqual({
        status: 403,
        body: { statusCode: 403, message: 'The token is not authorized for this scope.', error: 'Forbidden' },
      })
      const tags = await s.request('GET', `/locations/${s.locationId}/tags`, { token: readOnly })
      expect(tags.status).toBe(403)
      const read = await s.request('GET', `/contacts/?locationId=${s.locationId}`, { token: readOnly })
      expect(read.status).toBe(200)
    })

    it('hides contacts of other locations behind "not found"', async () => {
      const theirs = await makeContact(s.database, s.other.locationId, ['secret'])
      for (const [method, path, body] of [
        ['GET', `/contacts/${theirs}`, undefined],
        ['PUT', `/contacts/${theirs}`, { firstName: 'Mallory' }],
        ['DELETE', `/contacts/${theirs}`, undefined],
        ['POST', `/contacts/${theirs}/tags`, { tags: ['x'] }],
        ['DELETE', `/contacts/${theirs}/tags`, { tags: ['secret'] }],
      ] as const) {
        const response = await s.request(method, path, { body })
        expect(response, `${method} ${path}`).toEqual({
          status: 400,
          body: { statusCode: 400, message: 'Contact not found', error: 'Bad Request' },
        })
      }
      const asOwner = await s.request('GET', `/contacts/${theirs}`, { token: s.other.token })
      expect(asOwner.body.contact).toMatchObject({ tags: ['secret'] })
      expect(asOwner.body.contact.firstName).not.toBe('Mallory')
    })

    it('answers unknown routes in the HighLevel error shape', async () => {
      const response = await s.request('GET', '/contacts/bulk/nothing/here')
      expect(response).toEqual({
        status: 404,
        body: { statusCode: 404, message: 'Cannot GET /contacts/bulk/nothing/here', error: 'Not Found' },
      })
    })
  })
}
