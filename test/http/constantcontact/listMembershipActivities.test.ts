import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { makeToken } from '../../helpers/fixtures.js'
import { finishedActivity, startTestServer, type TestServer } from '../../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`Constant Contact list-membership activities on ${dialect}`, () => {
    let s: TestServer
    let tagId: string
    let newsletter: string
    let vip: string
    const contactIds: string[] = []

    const v3 = (method: string, path: string, body?: unknown, token?: string) =>
      s.request(method, `/v3${path}`, { body, version: null, ...(token ? { token } : {}) })
    const finished = (activityId: string) => finishedActivity(s, activityId)
    const listsOf = async (contactId: string): Promise<string[]> => {
      const { status, body } = await v3('GET', `/contacts/${contactId}`)
      return status === 200 ? [...body.list_memberships].sort() : []
    }
    /** Live members, in creation order. */
    const membersOf = async (listId: string): Promise<string[]> => {
      const members: string[] = []
      for (const id of contactIds) if ((await listsOf(id)).includes(listId)) members.push(id)
      return members
    }
    /** Activities go through contacts in id order. */
    const byId = (ids: readonly string[]) => [...ids].sort()

    beforeAll(async () => {
      // Chunks of 2 over 6 contacts: every activity takes several transactions.
      s = await startTestServer(dialect, { chunkSize: 2 })
      tagId = (await v3('POST', '/contact_tags', { name: 'Webinar' })).body.tag_id
      newsletter = (await v3('POST', '/contact_lists', { name: 'Newsletter' })).body.list_id
      vip = (await v3('POST', '/contact_lists', { name: 'VIP' })).body.list_id
      for (let i = 0; i < 6; i++) {
        const { body } = await v3('POST', '/contacts', {
          email_address: { address: `m${i}@example.com` },
          create_source: 'Account',
          ...(i === 0 ? { list_memberships: [newsletter] } : {}),
        })
        contactIds.push(body.contact_id)
      }
      // The first four carry the tag.
      const tagging = await v3('POST', '/activities/contacts_taggings_add', {
        source: { contact_ids: contactIds.slice(0, 4) },
        tag_ids: [tagId],
      })
      expect((await finished(tagging.body.activity_id)).state).toBe('completed')
    })
    afterAll(() => s.close())

    it('puts everyone tagged X on lists Y: 201 at once, then completed, skipping who was on every list', async () => {
      const preview = await s.request('POST', '/v3/activities/add_list_memberships?dry_run=true', {
        body: { source: { tag_ids: [tagId] }, list_ids: [newsletter, vip] },
        version: null,
      })
      expect(preview).toMatchObject({
        status: 200,
        body: { dry_run: true, items_total_count: 4, contacts_to_change: 4, memberships_to_change: 7 },
      })
      expect(await membersOf(vip)).toEqual([])

      const { status, body } = await v3('POST', '/activities/add_list_memberships', {
        source: { tag_ids: [tagId] },
        list_ids: [newsletter, vip],
      })
      expect(status).toBe(201)
      expect(body).toMatchObject({
        activity_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        state: 'initialized',
        status: {},
        _links: { self: { href: `/v3/activities/${body.activity_id}` } },
      })
      expect(await finished(body.activity_id)).toMatchObject({
        state: 'completed',
        percent_done: 100,
        activity_errors: [],
        status: { items_total_count: 4, items_completed_count: 4, list_count: 2 },
      })
      expect(await membersOf(vip)).toEqual(contactIds.slice(0, 4))
      expect(await membersOf(newsletter)).toEqual(contactIds.slice(0, 4))

      // Again: nobody changes; every contact is a skip with its reason.
      const again = await v3('POST', '/activities/add_list_memberships', {
        source: { tag_ids: [tagId] },
        list_ids: [newsletter, vip],
      })
      expect((await finished(again.body.activity_id)).status).toMatchObject({ items_total_count: 4 })
      const results = await v3('GET', `/activities/${again.body.activity_id}/results`)
      expect(results.body.results).toEqual(
        byId(contactIds.slice(0, 4)).map((contact_id) => ({
          contact_id,
          outcome: 'skipped',
          tags_added: [],
          tags_removed: [],
          reason: 'already on every list',
        })),
      )
    })

    it('answers per-contact results with the lists each contact was put on, paged by contact', async () => {
      const created = await v3('POST', '/activities/add_list_memberships', {
        source: { all_active_contacts: true },
        exclude: { contact_ids: [contactIds[5]] },
        list_ids: [vip],
      })
      expect((await finished(created.body.activity_id)).status).toMatchObject({ items_total_count: 5 })
      const seen: unknown[] = []
      let path = `/activities/${created.body.activity_id}/results?limit=1`
      for (let page = 0; page < 10 && path; page++) {
        const { status, body } = await v3('GET', path)
        expect(status).toBe(200)
        seen.push(...body.results)
        path = body._links?.next?.href?.replace(/^\/v3/, '') ?? ''
      }
      expect(seen).toEqual([
        {
          contact_id: contactIds[4],
          outcome: 'changed',
          tags_added: [],
          tags_removed: [],
          list_ids_added: [vip],
          list_ids_removed: [],
        },
        ...byId(contactIds.slice(0, 4)).map((contact_id) =>
          expect.objectContaining({ contact_id, outcome: 'skipped', reason: 'already on every list' }),
        ),
      ])
      expect(await membersOf(vip)).toEqual(contactIds.slice(0, 5))
    })

    it('answers a repeated Idempotency-Key with the first activity, creating one', async () => {
      const send = () =>
        s.request('POST', '/v3/activities/remove_list_memberships', {
          body: { source: { contact_ids: [contactIds[5]] }, list_ids: [vip] },
          version: null,
          headers: { 'idempotency-key': `memberships-${dialect}` },
        })
      const first = await send()
      const second = await send()
      expect(first.status).toBe(201)
      expect(second.status).toBe(201)
      expect(second.body.activity_id).toBe(first.body.activity_id)
      expect(await finished(first.body.activity_id)).toMatchObject({
        state: 'completed',
        status: { items_total_count: 1, items_completed_count: 1 },
      })
    })

    it('takes contacts off lists and undoes it exactly, leaving alone a contact deleted since', async () => {
      const removal = await v3('POST', '/activities/remove_list_memberships', {
        source: { list_ids: [vip] },
        list_ids: [vip, newsletter],
      })
      expect(removal.status).toBe(201)
      expect(await finished(removal.body.activity_id)).toMatchObject({
        state: 'completed',
        status: { items_total_count: 5, items_completed_count: 5, list_count: 2 },
      })
      expect(await membersOf(vip)).toEqual([])
      expect(await membersOf(newsletter)).toEqual([])

      const deleted = contactIds[1] as string
      expect((await v3('DELETE', `/contacts/${deleted}`)).status).toBe(204)
      const undo = await v3('POST', `/activities/${removal.body.activity_id}/undo`)
      expect(undo.status).toBe(201)
      const undone = await finished(undo.body.activity_id)
      expect(undone).toMatchObject({
        state: 'completed',
        status: { items_total_count: 5, items_completed_count: 5, items_skipped_count: 1, list_count: 2 },
        activity_errors: [`contact ${deleted} left alone: the contact was deleted after the activity`],
        _links: { undo_of: { href: `/v3/activities/${removal.body.activity_id}` } },
      })
      expect(await listsOf(contactIds[0] as string)).toEqual([newsletter, vip].sort())
      expect(await listsOf(contactIds[4] as string)).toEqual([vip])
      expect(await listsOf(contactIds[5] as string)).toEqual([])
      expect(await membersOf(vip)).toEqual([contactIds[0], contactIds[2], contactIds[3], contactIds[4]])
      // The undo's own results: what it put back, per contact.
      const results = await v3('GET', `/activities/${undo.body.activity_id}/results?outcome=changed`)
      expect(results.body.results).toContainEqual({
        contact_id: contactIds[4],
        outcome: 'changed',
        tags_added: [],
        tags_removed: [],
        list_ids_added: [vip],
        list_ids_removed: [],
      })
      // Once only.
      expect((await v3('POST', `/activities/${removal.body.activity_id}/undo`)).status).toBe(409)
    })

    it("refuses lists that are not the account's, a bad source, and more than 50 lists, creating nothing", async () => {
      const foreign = await s.request('POST', '/v3/contact_lists', {
        body: { name: 'Theirs' },
        version: null,
        token: s.other.token,
      })
      const before = (await v3('GET', '/activities?limit=50')).body.activities.length
      for (const [body, message] of [
        [
          { source: { all_active_contacts: true }, list_ids: [foreign.body.list_id] },
          'list_ids contains ids',
        ],
        [{ source: { list_ids: [foreign.body.list_id] }, list_ids: [vip] }, 'source.list_ids contains ids'],
        [{ source: { contact_ids: ['a'], tag_ids: ['b'] }, list_ids: [vip] }, 'source must have exactly one'],
        [
          { source: { all_active_contacts: true }, list_ids: Array.from({ length: 51 }, (_, i) => `l${i}`) },
          'list_ids must contain at most 50 items',
        ],
        [{ source: { all_active_contacts: true } }, 'list_ids'],
        [{ source: { all_active_contacts: true }, list_ids: [vip], tag_ids: [tagId] }, 'tag_ids'],
      ] as const) {
        const answer = await v3('POST', '/activities/add_list_memberships', body)
        expect(answer.status, JSON.stringify(body)).toBe(400)
        expect(JSON.stringify(answer.body), JSON.stringify(body)).toContain(message)
        expect(answer.body[0]).toMatchObject({
          error_key: expect.any(String),
          error_message: expect.any(String),
        })
      }
      expect((await v3('GET', '/activities?limit=50')).body.activities).toHaveLength(before)
      // Another tenant's activity is not found here.
      const mine = await v3('POST', '/activities/remove_list_memberships', {
        source: { contact_ids: [contactIds[0]] },
        list_ids: [newsletter],
      })
      expect((await v3('GET', `/activities/${mine.body.activity_id}`, undefined, s.other.token)).status).toBe(
        404,
      )
      await finished(mine.body.activity_id)
    })

    it('requires a token (401) with the contact_data scope (403), creating nothing', async () => {
      const before = (await v3('GET', '/activities?limit=50')).body.activities.length
      const body = { source: { all_active_contacts: true }, list_ids: [vip] }
      for (const kind of ['add_list_memberships', 'remove_list_memberships']) {
        const anonymous = await s.request('POST', `/v3/activities/${kind}`, {
          body,
          version: null,
          token: null,
        })
        expect(anonymous.status).toBe(401)
        expect(anonymous.body[0]).toMatchObject({ error_key: 'unauthorized' })
        const highLevelOnly = await makeToken(s.database, s.locationId, ['contacts.readonly'])
        expect((await v3('POST', `/activities/${kind}`, body, highLevelOnly)).status).toBe(403)
      }
      expect((await v3('GET', '/activities?limit=50')).body.activities).toHaveLength(before)
    })
  })
}
