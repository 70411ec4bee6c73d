import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listEvents } from '../../src/store/events.js'
import { DIALECTS } from '../helpers/databases.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`Idempotency-Key on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const keyed = (key: string, extra: Record<string, unknown> = {}) => ({
      headers: { 'idempotency-key': key },
      ...extra,
    })

    it('replays the first answer to a repeat with the same body, without applying it again', async () => {
      const body = { locationId: s.locationId, firstName: 'Once', email: 'once@example.com' }
      const first = await s.request('POST', '/contacts/', keyed('create-once', { body }))
      const again = await s.request('POST', '/contacts/', keyed('create-once', { body }))
      expect(first.status).toBe(201)
      expect(again.status).toBe(201)
      expect(again.body).toEqual(first.body)
      expect(again.headers.get('idempotent-replayed')).toBe('true')
      expect(first.headers.get('idempotent-replayed')).toBeNull()
      const listed = await s.request('GET', `/contacts/?locationId=${s.locationId}&query=once`)
      expect(listed.body.contacts).toHaveLength(1)
    })

    it('refuses the same key with a different body (422), in each dialect’s format', async () => {
      await s.request(
        'POST',
        '/contacts/',
        keyed('k-mismatch', { body: { locationId: s.locationId, firstName: 'A' } }),
      )
      const other = await s.request(
        'POST',
        '/contacts/',
        keyed('k-mismatch', { body: { locationId: s.locationId, firstName: 'B' } }),
      )
      expect(other).toMatchObject({
        status: 422,
        body: { statusCode: 422, message: ['Idempotency-Key was already used with a different request'] },
      })
      await s.request('POST', '/v3/contact_tags', keyed('k-cc', { body: { name: 'one' }, version: null }))
      const cc = await s.request(
        'POST',
        '/v3/contact_tags',
        keyed('k-cc', { body: { name: 'two' }, version: null }),
      )
      expect(cc).toMatchObject({ status: 422, body: [{ error_key: 'http.status.unprocessable_entity' }] })
    })

    it('applies 20 concurrent requests with one key once, answering all of them alike', async () => {
      const contact = await s.request('POST', '/contacts/', {
        body: { locationId: s.locationId, firstName: 'Busy' },
      })
      const id = contact.body.contact.id
      const body = { locationId: s.locationId, contacts: [id], tags: ['concurrent'] }
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          s.request('POST', '/contacts/bulk/tags/update/add', keyed('bulk-20', { body })),
        ),
      )
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]))
      for (const answer of answers) expect(answer.body).toEqual(answers[0]?.body)
      expect(answers[0]?.body.responses[0]).toMatchObject({ tagsAdded: ['concurrent'] })
      const events = (await listEvents(s.database, s.locationId, id)).filter((e) =>
        e.tags_added.includes('concurrent'),
      )
      expect(events).toHaveLength(1)
    })

    it('replays activity creation: one activity per key', async () => {
      const tag = await s.request('POST', '/v3/contact_tags', { body: { name: 'idem' }, version: null })
      const body = { source: { all_active_contacts: true }, tag_ids: [tag.body.tag_id] }
      const first = await s.request(
        'POST',
        '/v3/activities/contacts_taggings_add',
        keyed('act-1', { body, version: null }),
      )
      const again = await s.request(
        'POST',
        '/v3/activities/contacts_taggings_add',
        keyed('act-1', { body, version: null }),
      )
      const fresh = await s.request(
        'POST',
        '/v3/activities/contacts_taggings_add',
        keyed('act-2', { body, version: null }),
      )
      expect(first.status).toBe(201)
      expect(again.body.activity_id).toBe(first.body.activity_id)
      expect(fresh.body.activity_id).not.toBe(first.body.activity_id)
    })

    it('keeps keys per tenant', async () => {
      const mine = await s.request(
        'POST',
        '/v3/contact_tags',
        keyed('shared-key', { body: { name: 'mine' }, version: null }),
      )
      const theirs = await s.request(
        'POST',
        '/v3/contact_tags',
        keyed('shared-key', { body: { name: 'mine' }, version: null, token: s.other.token }),
      )
      expect(theirs.status).toBe(201)
      expect(theirs.body.tag_id).not.toBe(mine.body.tag_id)
    })
  })
}
