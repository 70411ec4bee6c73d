import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const dialect of DIALECTS) {
  describe(`Constant Contact contact filters and counts on ${dialect}`, () => {
    let s: TestServer
    const v3 = (method: string, path: string, body?: unknown) =>
      s.request(method, `/v3${path}`, { body, version: null })
    const ids = (answer: { body: { contacts: Array<{ contact_id: string }> } }) =>
      answer.body.contacts.map((c) => c.contact_id).sort()
    const contact = async (address: string, permission?: string) =>
      (
        await v3('POST', '/contacts', {
          email_address: { address, ...(permission ? { permission_to_send: permission } : {}) },
        })
      ).body.contact_id as string

    let ann: string
    let bob: string
    let cat: string
    let dan: string
    let betweenAnnAndBob: string
    let afterBobCreated: string

    beforeAll(async () => {
      s = await startTestServer(dialect)
      ann = await contact('Ann@Example.com', 'explicit')
      await pause(5)
      betweenAnnAndBob = new Date().toISOString()
      await pause(5)
      bob = await contact('bob@example.com')
      cat = await contact('cat@example.com', 'pending_confirmation')
      dan = await contact('dan@example.com', 'explicit')
      await pause(5)
      afterBobCreated = new Date().toISOString()
      await pause(5)
      // Updated later than everyone else was created or updated.
      const unsubscribed = await v3('PUT', `/contacts/${dan}`, {
        email_address: { address: 'dan@example.com', permission_to_send: 'unsubscribed' },
        update_source: 'Contact',
      })
      expect(unsubscribed.status).toBe(200)
      const gone = await contact('gone@example.com', 'explicit')
      expect((await v3('DELETE', `/contacts/${gone}`)).status).toBe(204)
    })
    afterAll(() => s.close())

    it('finds a contact by email exactly, case-insensitively, and nobody for an unknown address', async () => {
      expect(ids(await v3('GET', '/contacts?email=ANN%40example.com'))).toEqual([ann])
      const nobody = await v3('GET', '/contacts?email=nobody%40nowhere.com')
      expect(nobody.status).toBe(200)
      expect(nobody.body.contacts).toEqual([])
      expect(ids(await v3('GET', '/contacts?email=ann%40example'))).toEqual([])
    })

    it('filters by creation and update time: after inclusive, before exclusive, dates as midnight UTC', async () => {
      const encoded = encodeURIComponent
      expect(ids(await v3('GET', `/contacts?created_before=${encoded(betweenAnnAndBob)}`))).toEqual([ann])
      expect(ids(await v3('GET', `/contacts?created_after=${encoded(betweenAnnAndBob)}`))).toEqual(
        [bob, cat, dan].sort(),
      )
      expect(ids(await v3('GET', `/contacts?updated_after=${encoded(afterBobCreated)}`))).toEqual([dan])
      expect(
        ids(
          await v3(
            'GET',
            `/contacts?created_after=${encoded(betweenAnnAndBob)}&updated_before=${encoded(afterBobCreated)}`,
          ),
        ),
      ).toEqual([bob, cat].sort())
      expect(ids(await v3('GET', '/contacts?created_after=2999-01-01'))).toEqual([])
      expect(ids(await v3('GET', '/contacts?created_before=2000-01-01'))).toEqual([])
      // The same instant written with an offset.
      const offset = new Date(betweenAnnAndBob).toISOString().replace('Z', '+00:00')
      expect(ids(await v3('GET', `/contacts?created_before=${encoded(offset)}`))).toEqual([ann])
    })

    it('refuses times, includes and filters it cannot honour, in its own error format', async () => {
      const bad = await v3('GET', '/contacts?created_after=March%201&updated_before=2026-02-30')
      expect(bad.status).toBe(400)
      expect(bad.body).toEqual([
        {
          error_key: 'http.status.bad_request',
          error_message: 'created_after must be an ISO-8601 date or date-time (got "March 1")',
        },
        {
          error_key: 'http.status.bad_request',
          error_message: 'updated_before must be an ISO-8601 date or date-time (got "2026-02-30")',
        },
      ])
      const notes = await v3('GET', '/contacts?include=taggings,notes')
      expect(notes.status).toBe(400)
      expect(notes.body[0].error_message).toBe('include=notes is not supported: Tagbase stores no notes')
      expect((await v3('GET', '/contacts?include=taggings,list_memberships')).status).toBe(200)
      const manyTags = Array.from({ length: 51 }, (_, i) => `tag${i}`).join(',')
      expect((await v3('GET', `/contacts?tags=${manyTags}`)).body[0].error_message).toBe(
        'tags may name at most 50 tag ids',
      )
      const segment = await v3('GET', '/contacts?segment_id=7')
      expect(segment.status).toBe(400)
      expect(segment.body[0].error_message).toBe('query parameter segment_id is not supported')
      expect((await v3('GET', '/contacts?include_count=maybe')).status).toBe(400)
    })

    it('counts every matching contact over all pages with include_count, and pages keep the filters', async () => {
      const first = await v3('GET', '/contacts?status=active&include_count=true&limit=2')
      expect(first.body.contacts_count).toBe(3)
      expect(first.body.contacts).toHaveLength(2)
      const next = first.body._links.next.href as string
      expect(next).toMatch(/[?&]status=active(&|$)/)
      expect(next).toMatch(/[?&]include_count=true(&|$)/)
      const second = await s.request('GET', next, { version: null })
      expect(second.body.contacts_count).toBe(3)
      expect([...ids(first), ...ids(second)].sort()).toEqual([ann, bob, cat].sort())
      expect((await v3('GET', '/contacts')).body).not.toHaveProperty('contacts_count')
    })

    it('answers GET /v3/contacts/counts by consent, not as a contact id', async () => {
      const counts = await v3('GET', '/contacts/counts')
      expect(counts.status).toBe(200)
      // ann and dan's old self explicit, bob none (implicit), cat pending, dan unsubscribed; the deleted one not at all.
      expect(counts.body).toEqual({ total: 4, explicit: 1, implicit: 1, pending: 1, unsubscribed: 1 })
      const withNew = await v3('GET', '/contacts/counts?include=new_subscriber')
      expect(withNew.body.new_subscriber).toBe(3)
      expect((await v3('GET', '/contacts/counts?include=everything')).status).toBe(400)
      expect(
        (await s.request('GET', '/v3/contacts/counts', { version: null, token: s.other.token })).body,
      ).toEqual({ total: 0, explicit: 0, implicit: 0, pending: 0, unsubscribed: 0 })
    })
  })
}
