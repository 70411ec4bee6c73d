import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/databases.js'
import { makeContact } from '../helpers/fixtures.js'
import { ccId } from '../helpers/ids.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const isHighLevelError = (status: number, body: any) =>
  body?.statusCode === status && (typeof body.message === 'string' || Array.isArray(body.message))
const isConstantContactError = (body: any) =>
  Array.isArray(body) &&
  body.length > 0 &&
  body.every((e: any) => typeof e.error_key === 'string' && typeof e.error_message === 'string')

/** Sends bytes as they are (fetch would normalise the path). */
function rawRequest(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
    })
    socket.on('error', reject)
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1]), body })
    })
    socket.end(text)
  })
}

for (const dialect of DIALECTS) {
  describe(`hostile input on ${dialect}`, () => {
    let s: TestServer
    let contactId: string
    beforeAll(async () => {
      s = await startTestServer(dialect)
      contactId = await makeContact(s.database, s.locationId, ['keep'], { email: 'ann@example.com' })
      await makeContact(s.database, s.locationId, [], { email: 'bob@example.com' })
    })
    afterAll(() => s.close())

    const NUL = 'a\u0000b'
    const LONE = 'x\ud800y'

    it('refuses NUL and unpaired surrogates in HighLevel bodies, queries and paths with 422, storing nothing', async () => {
      for (const bad of [NUL, LONE]) {
        const bulk = await s.request('POST', '/contacts/bulk/tags/update/add', {
          body: { contacts: [contactId], tags: [bad], locationId: s.locationId },
        })
        expect(bulk.status).toBe(422)
        expect(isHighLevelError(422, bulk.body)).toBe(true)
        expect(JSON.stringify(bulk.body.message)).toMatch(/NUL characters or unpaired UTF-16 surrogates/)
        const ids = await s.request('POST', '/contacts/bulk/tags/update/add', {
          body: { contacts: [bad], tags: ['t'], locationId: s.locationId },
        })
        expect(ids.status).toBe(422)
        const key = await s.request('POST', '/contacts/', {
          body: { locationId: s.locationId, firstName: 'x', [bad]: 1 },
        })
        expect(key.status).toBe(422)
      }
      const query = await s.request('GET', `/contacts/?locationId=${s.locationId}&query=%00`)
      expect(query.status).toBe(422)
      expect(isHighLevelError(422, query.body)).toBe(true)
      const path = await s.request('GET', '/contacts/a%00b')
      expect(path.status).toBe(422)
      const tags = await s.request('GET', `/contacts/${contactId}`)
      expect(tags.body.contact.tags).toEqual(['keep'])
    })

    it('refuses them in Constant Contact bodies, paths and cursors with 400; no activity is created', async () => {
      for (const bad of [NUL, LONE]) {
        for (const source of [{ contact_ids: [bad] }, { list_ids: [bad] }, { tag_ids: [bad] }]) {
          const answer = await s.request('POST', '/v3/activities/contacts_taggings_add', {
            body: { source, tag_ids: ['whatever'] },
          })
          expect(answer.status).toBe(400)
          expect(isConstantContactError(answer.body)).toBe(true)
        }
      }
      const listed = await s.request('GET', '/v3/activities')
      expect(listed.body.activities ?? []).toEqual([])
      expect((await s.request('GET', '/v3/contacts/a%00b')).status).toBe(400)
      for (const cursor of [
        'AA',
        '%00',
        '!!!',
        'YQ=',
        'YWJj~',
        Buffer.from('a\u0000').toString('base64url'),
      ]) {
        const page = await s.request('GET', `/v3/contacts?cursor=${cursor}`)
        expect(page.status, cursor).toBe(400)
        expect(isConstantContactError(page.body)).toBe(true)
      }
    })

    it('refuses query parameters a route does not support, in each dialect', async () => {
      const v3 = await s.request('GET', '/v3/contacts?emial=ann@example.com')
      expect(v3.status).toBe(400)
      expect(v3.body).toEqual([
        { error_key: 'http.status.bad_request', error_message: 'query parameter emial is not supported' },
      ])
      expect((await s.request('GET', '/v3/contact_tags?foo=1')).status).toBe(400)
      expect((await s.request('GET', `/v3/contacts/${contactId}?x=1`)).status).toBe(400)
      const highLevel = await s.request('GET', `/contacts/?locationId=${s.locationId}&emial=1`)
      expect(highLevel.status).toBe(422)
      expect(highLevel.body.message).toEqual(['query parameter emial is not supported'])
      expect((await s.request('GET', `/contacts/${contactId}?x=1`)).status).toBe(422)
    })

    it('filters /v3/contacts by email exactly (case-insensitive), and finds nobody for an unknown one', async () => {
      const nobody = await s.request('GET', '/v3/contacts?email=nobody@nowhere.com')
      expect(nobody.status).toBe(200)
      expect(nobody.body.contacts).toEqual([])
      const ann = await s.request('GET', '/v3/contacts?email=ANN@example.com')
      expect(ann.body.contacts.map((c: { contact_id: string }) => c.contact_id)).toEqual([ccId(contactId)])
    })

    it("answers the framework's own refusals in the dialect's format", async () => {
      const port = Number(new URL(s.baseUrl).port)
      const auth = `Authorization: Bearer ${s.token}\r\nVersion: 2021-07-28\r\nConnection: close\r\n`
      const badV3 = await rawRequest(port, `GET /v3/contacts/%zz HTTP/1.1\r\nHost: x\r\n${auth}\r\n`)
      expect(badV3.status).toBe(400)
      expect(isConstantContactError(JSON.parse(badV3.body))).toBe(true)
      const badHl = await rawRequest(port, `GET /contacts/%zz HTTP/1.1\r\nHost: x\r\n${auth}\r\n`)
      expect(badHl.status).toBe(400)
      expect(isHighLevelError(400, JSON.parse(badHl.body))).toBe(true)
      const long = 'a'.repeat(300)
      const longV3 = await s.request('GET', `/v3/contacts/${long}`)
      expect(longV3.status).toBeGreaterThanOrEqual(400)
      expect(longV3.status).toBeLessThan(500)
      expect(isConstantContactError(longV3.body)).toBe(true)

      const badJson = await s.request('POST', '/v3/contact_tags', { rawBody: '{"name":' })
      expect(badJson.status).toBe(400)
      expect(isConstantContactError(badJson.body)).toBe(true)
      const badJsonHl = await s.request('POST', '/contacts/bulk/tags/update/add', { rawBody: '{"contacts":' })
      expect(badJsonHl.status).toBe(400)
      expect(isHighLevelError(400, badJsonHl.body)).toBe(true)
      const huge = await s.request('POST', '/v3/contact_tags', {
        rawBody: `{"name":"${'x'.repeat(1_100_000)}"}`,
      })
      expect(huge.status).toBe(413)
      expect(isConstantContactError(huge.body)).toBe(true)
      const text = await fetch(`${s.baseUrl}/v3/contact_tags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/plain' },
        body: 'name',
      })
      expect(text.status).toBe(415)
      expect(isConstantContactError(await text.json())).toBe(true)
      let deep: unknown = 'x'
      for (let i = 0; i < 200; i++) deep = [deep]
      const nested = await s.request('POST', '/v3/contact_tags', { body: { name: 'n', tag_source: deep } })
      expect(nested.status).toBe(400)
    })
  })
}
