import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { makeToken } from '../../helpers/fixtures.js'
import { hlId } from '../../helpers/ids.js'
import { finishedActivity, startTestServer, type TestServer } from '../../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`Constant Contact activities on ${dialect}`, () => {
    let s: TestServer
    let tagId: string
    let listId: string
    const contactIds: string[] = []

    const v3 = (method: string, path: string, body?: unknown, token?: string) =>
      s.request(method, `/v3${path}`, { body, version: null, ...(token ? { token } : {}) })

    const finished = (activityId: string) => finishedActivity(s, activityId)

    async function tagIdsOf(contactId: string): Promise<string[]> {
      return (await v3('GET', `/contacts/${contactId}`)).body.taggings
    }

    beforeAll(async () => {
      s = await startTestServer(dialect, { chunkSize: 2 })
      tagId = (await v3('POST', '/contact_tags', { name: 'Campaign' })).body.tag_id
      listId = (await v3('POST', '/contact_lists', { name: 'Newsletter' })).body.list_id
      for (let i = 0; i < 5; i++) {
        const { body } = await v3('POST', '/contacts', {
          email_address: { address: `p${i}@example.com` },
          first_name: `P${i}`,
          create_source: 'Account',
          ...(i < 2 ? { list_memberships: [listId] } : {}),
        })
        contactIds.push(body.contact_id)
      }
    })
    afterAll(() => s.close())

    it('adds tags to all active contacts but the excluded one, answering 201 with an activity to poll', async () => {
      const { status, body } = await v3('POST', '/activities/contacts_taggings_add', {
        source: { all_active_contacts: true },
        exclude: { contact_ids: [contactIds[4]] },
        tag_ids: [tagId],
      })
      expect(status).toBe(201)
      expect(body).toMatchObject({
        activity_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        state: 'initialized',
        percent_done: 1,
        activity_errors: [],
        status: {},
        _links: { self: { href: `/v3/activities/${body.activity_id}` } },
      })
      const done = await finished(body.activity_id)
      expect(done).toMatchObject({
        state: 'completed',
        percent_done: 100,
        status: { items_total_count: 4, items_completed_count: 4 },
        started_at: expect.stringMatching(/Z$/),
        completed_at: expect.stringMatching(/Z$/),
      })
      for (const id of contactIds.slice(0, 4)) expect(await tagIdsOf(id)).toEqual([tagId])
      expect(await tagIdsOf(contactIds[4] as string)).toEqual([])
    })

    it("accepts the vendor's own example shapes: string booleans and exclude inside source", async () => {
      const { status, body } = await v3('POST', '/activities/contacts_taggings_remove', {
        source: { list_ids: [listId], exclude: [contactIds[0]] },
        tag_ids: [tagId],
      })
      expect(status).toBe(201)
      expect(await finished(body.activity_id)).toMatchObject({
        state: 'completed',
        status: { items_total_count: 1 },
      })
      expect(await tagIdsOf(contactIds[0] as string)).toEqual([tagId])
      expect(await tagIdsOf(contactIds[1] as string)).toEqual([])
      const stringBoolean = await v3('POST', '/activities/contacts_taggings_remove', {
        source: { all_active_contacts: 'true' },
        tag_ids: [tagId],
      })
      expect(stringBoolean.status).toBe(201)
      await finished(stringBoolean.body.activity_id)
      for (const id of contactIds) expect(await tagIdsOf(id)).toEqual([])
    })

    it.each([
      [{ source: {}, tag_ids: ['x'] }, 'source must have exactly one of'],
      [{ source: { contact_ids: ['a'], list_ids: ['b'] }, tag_ids: ['x'] }, 'got contact_ids, list_ids'],
      [{ source: { contact_ids: ['a'] } }, 'tag_ids is required'],
      [{ source: { contact_ids: ['a'] }, tag_ids: [] }, 'tag_ids must contain at least 1 item'],
      [
        { source: { contact_ids: Array.from({ length: 501 }, (_, i) => `c${i}`) }, tag_ids: ['x'] },
        'source.contact_ids must contain at most 500 items',
      ],
      [
        { source: { list_ids: Array.from({ length: 51 }, (_, i) => `l${i}`) }, tag_ids: ['x'] },
        'source.list_ids must contain at most 50 items',
      ],
      [
        { source: { contact_ids: ['a'] }, exclude: { contact_ids: ['b'] }, tag_ids: ['x'] },
        'exclude can only be used with all_active_contacts or list_ids',
      ],
      [
        { source: { tag_ids: ['t'] }, exclude: { contact_ids: ['b'] }, tag_ids: ['x'] },
        'exclude can only be used with all_active_contacts or list_ids',
      ],
      [
        { source: { all_active_contacts: 'yes' }, tag_ids: ['x'] },
        'source.all_active_contacts must be true or false',
      ],
      [{ source: { new_subscriber: true }, tag_ids: ['x'], extra: 1 }, 'extra is not a supported field'],
      ['not an object', 'the body must be a JSON object'],
      [
        { source: { all_active_contacts: true, exclude: 'x' }, tag_ids: ['x'] },
        'source.exclude must be an object with contact_ids, or an array of contact ids',
      ],
      [{ source: { contact_ids: [1] }, tag_ids: ['x'] }, 'source.contact_ids.0 must be a non-empty id'],
      [{ source: { contact_ids: ['  '] }, tag_ids: ['x'] }, 'source.contact_ids.0 must be a non-empty id'],
    ])('refuses %j with 400 naming the problem', async (payload, message) => {
      const { status, body } = await v3('POST', '/activities/contacts_taggings_add', payload)
      expect(status).toBe(400)
      expect(body).toEqual(
        expect.arrayContaining([
          { error_key: 'http.status.bad_request', error_message: expect.stringContaining(message) },
        ]),
      )
    })

    it("refuses tag ids that are not tags of the account, including another tenant's", async () => {
      const foreign = await s.request('POST', '/v3/contact_tags', {
        body: { name: 'theirs' },
        token: s.other.token,
        version: null,
      })
      const { status, body } = await v3('POST', '/activities/contacts_taggings_add', {
        source: { all_active_contacts: true },
        tag_ids: [foreign.body.tag_id],
      })
      expect(status).toBe(400)
      expect(body[0].error_message).toContain('tag_ids')
    })

    it("refuses list ids that are not lists of the account, including another tenant's", async () => {
      const foreign = await s.request('POST', '/v3/contact_lists', {
        body: { name: 'Their list' },
        token: s.other.token,
        version: null,
      })
      for (const listIds of [[foreign.body.list_id], ['00000000-0000-4000-8000-000000000000', listId]]) {
        const { status, body } = await v3('POST', '/activities/contacts_taggings_add', {
          source: { list_ids: listIds },
          tag_ids: [tagId],
        })
        expect(status).toBe(400)
        expect(body).toEqual([
          {
            error_key: 'http.status.bad_request',
            error_message: `source.list_ids contains ids that are not lists of this account: ${listIds[0]}`,
          },
        ])
      }
    })

    it("reports named contact ids it cannot use (unknown, deleted, another tenant's) as skipped errors", async () => {
      const foreign = await s.request('POST', '/v3/contacts', {
        body: { email_address: { address: 'theirs@example.com' } },
        token: s.other.token,
        version: null,
      })
      const doomed = (await v3('POST', '/contacts', { email_address: { address: 'doomed@example.com' } }))
        .body.contact_id
      expect((await v3('DELETE', `/contacts/${doomed}`)).status).toBe(204)
      const unknown = 'AAAAAAAAAAAAAAAAAAAA'
      const usable = contactIds[4] as string
      const { status, body } = await v3('POST', '/activities/contacts_taggings_add', {
        source: { contact_ids: [unknown, usable, doomed, foreign.body.contact_id] },
        tag_ids: [tagId],
      })
      expect(status).toBe(201)
      const done = await finished(body.activity_id)
      expect(done.state).toBe('completed')
      expect(done.status).toEqual({ items_total_count: 1, items_completed_count: 1, items_skipped_count: 3 })
      expect(done.activity_errors).toEqual([
        `contact ${unknown} skipped: not a contact of this account`,
        `contact ${doomed} skipped: deleted`,
        `contact ${foreign.body.contact_id} skipped: not a contact of this account`,
      ])
      expect(await tagIdsOf(usable)).toContain(tagId)
    })

    it('answers per-contact results: every contact changed, then every one skipped with why, paged', async () => {
      const tag = (await v3('POST', '/contact_tags', { name: 'results-tag' })).body
      const [had, gains1, gains2] = contactIds as [string, string, string]
      await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [hlId(had)], tags: ['results-tag'], locationId: s.locationId },
      })
      const unknown = 'BBBBBBBBBBBBBBBBBBBB'
      const created = await v3('POST', '/activities/contacts_taggings_add', {
        source: { contact_ids: [gains1, had, unknown, gains2] },
        tag_ids: [tag.tag_id],
      })
      const id = created.body.activity_id
      await finished(id)
      const all = await v3('GET', `/activities/${id}/results?limit=500`)
      expect(all.status).toBe(200)
      const changed = all.body.results.filter((r: { outcome: string }) => r.outcome === 'changed')
      expect(changed.map((r: { contact_id: string }) => r.contact_id).sort()).toEqual([gains1, gains2].sort())
      expect(changed[0]).toEqual({
        contact_id: expect.any(String),
        outcome: 'changed',
        tags_added: ['results-tag'],
        tags_removed: [],
      })
      const skipped = all.body.results.filter((r: { outcome: string }) => r.outcome === 'skipped')
      expect(skipped).toEqual(
        expect.arrayContaining([
          {
            contact_id: unknown,
            outcome: 'skipped',
            tags_added: [],
            tags_removed: [],
            reason: 'not a contact of this account',
          },
          {
            contact_id: had,
            outcome: 'skipped',
            tags_added: [],
            tags_removed: [],
            reason: 'already had every tag',
          },
        ]),
      )
      expect(skipped).toHaveLength(2)
      expect(all.body._links).toEqual({})

      const seen: string[] = []
      let page = await v3('GET', `/activities/${id}/results?limit=1`)
      for (let i = 0; i < 10; i++) {
        seen.push(
          ...page.body.results.map(
            (r: { contact_id: string; outcome: string }) => `${r.outcome}:${r.contact_id}`,
          ),
        )
        const next = page.body._links.next?.href as string | undefined
        if (!next) break
        page = await s.request('GET', next, { version: null })
      }
      expect(seen.sort()).toEqual(
        all.body.results
          .map((r: { contact_id: string; outcome: string }) => `${r.outcome}:${r.contact_id}`)
          .sort(),
      )
      const onlySkipped = await v3('GET', `/activities/${id}/results?outcome=skipped`)
      expect(onlySkipped.body.results).toHaveLength(2)
      expect((await v3('GET', `/activities/${id}/results`, undefined, s.other.token)).status).toBe(404)
      expect((await v3('GET', `/activities/${id}/results?cursor=x`)).status).toBe(400)
    })

    it('lists activities newest first, filtered by state', async () => {
      const all = await v3('GET', '/activities?limit=2')
      expect(all.status).toBe(200)
      expect(all.body.activities).toHaveLength(2)
      const completed = await v3('GET', '/activities?state=completed&limit=500')
      expect(completed.body.activities.every((a: { state: string }) => a.state === 'completed')).toBe(true)
      expect((await v3('GET', '/activities?limit=501')).status).toBe(400)
    })

    it('pages activities with _links.next, one at a time, each exactly once, newest first', async () => {
      const everything = (await v3('GET', '/activities?limit=500')).body.activities.map(
        (a: { activity_id: string }) => a.activity_id,
      )
      expect(everything.length).toBeGreaterThan(2)
      const seen: string[] = []
      let page = await v3('GET', '/activities?limit=1')
      for (;;) {
        expect(page.status).toBe(200)
        seen.push(...page.body.activities.map((a: { activity_id: string }) => a.activity_id))
        const next = page.body._links.next?.href as string | undefined
        if (!next) break
        expect(next).toMatch(/^\/v3\/activities\?limit=1&cursor=/)
        page = await s.request('GET', next, { version: null })
      }
      expect(seen).toEqual(everything)
      const forged = await v3('GET', `/activities?cursor=${Buffer.from('["x"]').toString('base64url')}`)
      expect(forged.status).toBe(400)
      expect(forged.body[0].error_message).toBe(
        'cursor is not a valid paging cursor; use the one in _links.next',
      )
    })

    it('deletes a tag through an activity (DELETE /contact_tags answers 202)', async () => {
      const tag = (await v3('POST', '/contact_tags', { name: 'doomed' })).body
      const add = await v3('POST', '/activities/contacts_taggings_add', {
        source: { contact_ids: contactIds },
        tag_ids: [tag.tag_id],
      })
      await finished(add.body.activity_id)
      const deletion = await v3('DELETE', `/contact_tags/${tag.tag_id}`)
      expect(deletion.status).toBe(202)
      expect(await finished(deletion.body.activity_id)).toMatchObject({
        state: 'completed',
        status: { items_total_count: 5 },
      })
      expect((await v3('GET', `/contact_tags/${tag.tag_id}`)).status).toBe(404)
      for (const id of contactIds) expect(await tagIdsOf(id)).not.toContain(tag.tag_id)
    })

    it('answers 404 for activities of other tenants and unknown ids', async () => {
      const mine = await v3('POST', '/activities/contacts_tags_delete', { tag_ids: [tagId] })
      expect(mine.status).toBe(201)
      const theirs = await s.request('GET', `/v3/activities/${mine.body.activity_id}`, {
        token: s.other.token,
        version: null,
      })
      expect(theirs.status).toBe(404)
      expect(theirs.body).toEqual([{ error_key: 'http.status.not_found', error_message: expect.any(String) }])
    })

    it('requires a token (401) with the contact_data scope (403)', async () => {
      expect(await v3('GET', '/activities', undefined, 'pit-nope')).toMatchObject({
        status: 401,
        body: [{ error_key: 'unauthorized', error_message: 'The access token used is invalid.' }],
      })
      const highLevelOnly = await makeToken(s.database, s.locationId, ['contacts.readonly'])
      expect((await v3('GET', '/activities', undefined, highLevelOnly)).status).toBe(403)
    })
  })
}
