import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { ccId, hlId } from '../../helpers/ids.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`Constant Contact contacts, tags and lists on ${dialect}`, () => {
    let s: TestServer
    const v3 = (method: string, path: string, body?: unknown, token?: string) =>
      s.request(method, `/v3${path}`, { body, version: null, ...(token ? { token } : {}) })

    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    it('creates, reads, renames tags; names are unique; pages with a cursor; counts on request', async () => {
      const created = await v3('POST', '/contact_tags', { name: 'Alpha', tag_source: 'Import' })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({
        tag_id: expect.any(String),
        name: 'Alpha',
        tag_source: 'Import',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        updated_at: expect.any(String),
      })
      expect((await v3('POST', '/contact_tags', { name: 'ALPHA' })).status).toBe(409)
      for (const name of ['beta', 'gamma', 'delta']) await v3('POST', '/contact_tags', { name })
      const first = await v3('GET', '/contact_tags?limit=3')
      expect(first.body.tags).toHaveLength(3)
      const next = first.body._links.next.href as string
      expect(next).toMatch(/^\/v3\/contact_tags\?limit=3&cursor=/)
      const second = await s.request('GET', next, { version: null })
      expect(second.body.tags).toHaveLength(1)
      expect(second.body._links).toEqual({})
      const ids = [...first.body.tags, ...second.body.tags].map((t: { tag_id: string }) => t.tag_id)
      expect(new Set(ids).size).toBe(4)
      const renamed = await v3('PUT', `/contact_tags/${created.body.tag_id}`, { name: 'Omega' })
      expect(renamed.body.name).toBe('Omega')
      const counted = await v3('GET', `/contact_tags/${created.body.tag_id}?include_count=true`)
      expect(counted.body.contacts_count).toBe(0)
      expect((await v3('GET', '/contact_tags?limit=501')).status).toBe(400)
      expect((await v3('POST', '/contact_tags', { name: 'x', color: 'red' })).body).toEqual([
        { error_key: 'http.status.bad_request', error_message: 'color is not a supported field' },
      ])
    })

    it('manages lists and contacts with taggings and list memberships', async () => {
      const list = (await v3('POST', '/contact_lists', { name: 'VIPs', favorite: true, description: 'best' }))
        .body
      expect(list).toMatchObject({
        list_id: expect.any(String),
        name: 'VIPs',
        favorite: true,
        description: 'best',
      })
      expect((await v3('POST', '/contact_lists', { name: 'VIPs' })).status).toBe(409)
      const tag = (await v3('POST', '/contact_tags', { name: 'customer' })).body
      const created = await v3('POST', '/contacts', {
        email_address: { address: 'Ann@Example.com', permission_to_send: 'explicit' },
        first_name: 'Ann',
        job_title: 'CTO',
        phone_numbers: [{ phone_number: '+15550100', kind: 'work' }],
        create_source: 'Contact',
        list_memberships: [list.list_id],
        taggings: [tag.tag_id],
      })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({
        contact_id: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        email_address: { address: 'Ann@Example.com', permission_to_send: 'explicit' },
        first_name: 'Ann',
        job_title: 'CTO',
        phone_numbers: [{ phone_number: '+15550100', kind: 'work' }],
        create_source: 'Contact',
        list_memberships: [list.list_id],
        taggings: [tag.tag_id],
      })
      const id = created.body.contact_id
      expect((await v3('POST', '/contacts', { email_address: { address: 'ann@example.com' } })).status).toBe(
        409,
      )

      const listed = await v3('GET', `/contact_lists/${list.list_id}`)
      expect(listed.body.name).toBe('VIPs')
      const counts = await v3('GET', '/contact_lists?include_membership_count=all')
      expect(counts.body.lists[0].membership_count).toBe(1)

      const updated = await v3('PUT', `/contacts/${id}`, {
        email_address: { address: 'ann@example.com', permission_to_send: 'unsubscribed' },
        last_name: 'Lee',
        update_source: 'Account',
        list_memberships: [],
      })
      expect(updated.status).toBe(200)
      expect(updated.body).toMatchObject({
        email_address: { permission_to_send: 'unsubscribed', opt_out_date: expect.any(String) },
        last_name: 'Lee',
        list_memberships: [],
        taggings: [tag.tag_id],
      })
      expect(
        (await v3('GET', `/contacts?status=unsubscribed`)).body.contacts.map(
          (c: { contact_id: string }) => c.contact_id,
        ),
      ).toEqual([id])
      expect((await v3('GET', `/contacts?status=active`)).body.contacts).toEqual([])
      expect((await v3('GET', `/contacts?tags=${tag.tag_id}`)).body.contacts).toHaveLength(1)
      expect((await v3('GET', `/contacts?lists=${list.list_id}`)).body.contacts).toHaveLength(0)

      expect((await v3('DELETE', `/contacts/${id}`)).status).toBe(204)
      expect((await v3('GET', `/contacts/${id}`)).status).toBe(404)
      expect((await v3('GET', '/contacts?status=deleted')).body.contacts).toHaveLength(1)
      expect((await v3('DELETE', `/contact_lists/${list.list_id}`)).status).toBe(204)
      expect((await v3('GET', `/contact_lists/${list.list_id}`)).status).toBe(404)
    })

    it('refuses unsupported fields, unknown references and non-JSON bodies in its own error format', async () => {
      const custom = await v3('POST', '/contacts', {
        email_address: { address: 'a@b.co' },
        custom_fields: [],
      })
      expect(custom).toMatchObject({
        status: 400,
        body: [{ error_message: 'custom_fields is not a supported field' }],
      })
      const missing = await v3('POST', '/contacts', { first_name: 'x' })
      expect(missing.body).toEqual([
        { error_key: 'http.status.bad_request', error_message: 'email_address is required' },
      ])
      const unknownTag = await v3('POST', '/contacts', {
        email_address: { address: 'c@d.co' },
        taggings: ['nope'],
      })
      expect(unknownTag).toMatchObject({
        status: 400,
        body: [{ error_message: 'taggings names unknown tags: nope' }],
      })
      const unknownList = await v3('POST', '/contacts', {
        email_address: { address: 'e@f.co' },
        list_memberships: ['nope'],
      })
      expect(unknownList.status).toBe(400)
      const response = await fetch(`${s.baseUrl}/v3/contact_tags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/plain' },
        body: 'name=x',
      })
      expect(response.status).toBe(415)
      expect(await response.json()).toEqual([
        { error_key: 'http.status.unsupported_media_type', error_message: expect.any(String) },
      ])
      expect((await v3('GET', '/nowhere')).status).toBe(404)
    })

    it('shares contacts and tags with the HighLevel dialect, in both directions', async () => {
      const hl = await s.request('POST', '/contacts/', {
        body: { locationId: s.locationId, email: 'both@example.com', tags: ['from-highlevel'] },
      })
      const contactId = hl.body.contact.id
      // One row, named in each dialect's own form; neither dialect takes the other's.
      const seen = await v3('GET', `/contacts/${ccId(contactId)}`)
      expect(seen.status).toBe(200)
      expect(seen.body.contact_id).toBe(ccId(contactId))
      expect((await v3('GET', `/contacts/${contactId}`)).status).toBe(404)
      expect((await s.request('GET', `/contacts/${ccId(contactId)}`)).status).toBeGreaterThanOrEqual(400)
      const tags = (await v3('GET', '/contact_tags?limit=500')).body.tags as Array<{
        tag_id: string
        name: string
      }>
      const fromHighLevel = tags.find((t) => t.name === 'from-highlevel')
      expect(seen.body.taggings).toEqual([fromHighLevel?.tag_id])

      const ccTag = (await v3('POST', '/contact_tags', { name: 'From-CC' })).body
      const activity = await v3('POST', '/activities/contacts_taggings_add', {
        source: { contact_ids: [ccId(contactId)] },
        tag_ids: [ccTag.tag_id],
      })
      for (let i = 0; i < 200; i++) {
        if ((await v3('GET', `/activities/${activity.body.activity_id}`)).body.state === 'completed') break
        await new Promise((r) => setTimeout(r, 25))
      }
      const back = await s.request('GET', `/contacts/${contactId}`)
      expect(back.body.contact.tags).toEqual(['from-cc', 'from-highlevel'])
      // One tag, two spellings: as written in /v3, lower-cased in HighLevel; unique case-insensitively.
      expect((await v3('GET', `/contact_tags/${ccTag.tag_id}`)).body.name).toBe('From-CC')
      const hlTags = (await s.request('GET', `/locations/${s.locationId}/tags`)).body.tags as Array<{
        id: string
        name: string
      }>
      expect(hlTags.find((t) => t.id === hlId(ccTag.tag_id))?.name).toBe('from-cc')
      expect((await v3('POST', '/contact_tags', { name: 'FROM-cc' })).status).toBe(409)
      const renamed = await v3('PUT', `/contact_tags/${ccTag.tag_id}`, { name: '  Webinar VIP ' })
      expect(renamed.body.name).toBe('Webinar VIP')
      // Renamed through HighLevel, the written form goes: /v3 shows the new, lower-cased name.
      await s.request('PUT', `/locations/${s.locationId}/tags/${hlId(ccTag.tag_id)}`, {
        body: { name: 'Webinar Gold' },
      })
      expect((await v3('GET', `/contact_tags/${ccTag.tag_id}`)).body.name).toBe('webinar gold')
      // The other tenant sees none of it.
      expect((await v3('GET', `/contacts/${ccId(contactId)}`, undefined, s.other.token)).status).toBe(404)
      expect((await v3('GET', '/contacts', undefined, s.other.token)).body.contacts).toEqual([])
    })
  })
}
