import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../helpers/databases.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const dialect of DIALECTS) {
  describe(`HighLevel contact search on ${dialect}`, () => {
    let s: TestServer
    const ids: Record<string, string> = {}
    let afterAnn: string

    const search = (body: Record<string, unknown>) =>
      s.request('POST', '/contacts/search', { body: { locationId: s.locationId, pageLimit: 100, ...body } })
    const found = async (body: Record<string, unknown>) => {
      const answer = await search(body)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return (answer.body.contacts as Array<{ id: string }>).map((c) => c.id).sort()
    }
    const named = (...names: string[]) => names.map((n) => ids[n]).sort()

    beforeAll(async () => {
      s = await startTestServer(dialect)
      const create = async (name: string, body: Record<string, unknown>) => {
        const created = await s.request('POST', '/contacts/', { body: { locationId: s.locationId, ...body } })
        expect(created.status).toBe(201)
        ids[name] = created.body.contact.id
        await pause(3)
      }
      await create('ann', { firstName: 'Ann', email: 'ann@example.com', tags: ['VIP', 'lead'] })
      afterAnn = new Date().toISOString()
      await create('bob', { firstName: 'Bob', phone: '+1 777-555-0100', tags: ['lead'] })
      await create('cat', { firstName: 'Cat', email: 'cat@example.com', dnd: true })
      await create('gone', { firstName: 'Gone', email: 'gone@example.com', tags: ['vip'] })
      expect((await s.request('DELETE', `/contacts/${ids.gone}`)).status).toBe(200)
    })
    afterAll(() => s.close())

    it('filters on tags: has, has none of, any of, some tag, no tag (deleted contacts never)', async () => {
      expect(await found({ filters: [{ field: 'tags', operator: 'eq', value: 'vip' }] })).toEqual(
        named('ann'),
      )
      expect(await found({ filters: [{ field: 'tags', operator: 'not_contains', value: ['VIP'] }] })).toEqual(
        named('bob', 'cat'),
      )
      expect(
        await found({ filters: [{ field: 'tags', operator: 'contains', value: ['vip', 'lead'] }] }),
      ).toEqual(named('ann', 'bob'))
      expect(await found({ filters: [{ field: 'tags', operator: 'exists' }] })).toEqual(named('ann', 'bob'))
      expect(await found({ filters: [{ field: 'tags', operator: 'not_exists' }] })).toEqual(named('cat'))
    })

    it('combines conditions with AND, and OR groups; matches email, phone and names as HighLevel stores them', async () => {
      expect(
        await found({
          filters: [
            {
              group: 'OR',
              filters: [
                { field: 'email', operator: 'eq', value: 'CAT@example.com' },
                { field: 'firstNameLowerCase', operator: 'eq', value: 'bob' },
              ],
            },
          ],
        }),
      ).toEqual(named('bob', 'cat'))
      expect(await found({ filters: [{ field: 'phone', operator: 'eq', value: '(777) 555-0100' }] })).toEqual(
        named('bob'),
      )
      expect(
        await found({
          filters: [
            { field: 'tags', operator: 'eq', value: 'lead' },
            { field: 'email', operator: 'exists' },
          ],
        }),
      ).toEqual(named('ann'))
      expect(await found({ filters: [{ field: 'dnd', operator: 'eq', value: true }] })).toEqual(named('cat'))
      expect(
        await found({ filters: [{ field: 'dateAdded', operator: 'range', value: { gt: afterAnn } }] }),
      ).toEqual(named('bob', 'cat'))
      expect(await found({ query: 'ANN@' })).toEqual(named('ann'))
    })

    it('pages by number or by searchAfter, in dateAdded order, with the total of all pages', async () => {
      const second = await search({ pageLimit: 1, page: 2 })
      expect(second.body.total).toBe(3)
      expect(second.body.contacts.map((c: { id: string }) => c.id)).toEqual([ids.bob])
      const first = await search({ pageLimit: 2 })
      const next = await search({ pageLimit: 2, searchAfter: first.body.contacts[1].searchAfter })
      expect(next.body.contacts.map((c: { id: string }) => c.id)).toEqual([ids.cat])
      const newest = await search({ pageLimit: 1, sort: [{ field: 'dateAdded', direction: 'desc' }] })
      expect(newest.body.contacts[0].id).toBe(ids.cat)
    })

    it('refuses what it does not support with 422, naming each problem', async () => {
      const bad = await search({
        filters: [
          { field: 'customField.x', operator: 'eq', value: 1 },
          { field: 'tags', operator: 'near', value: 'x' },
          { group: 'XOR', filters: [] },
        ],
      })
      expect(bad.status).toBe(422)
      expect(bad.body.message).toEqual([
        'filters[0].field must be one of tags, email, phone, firstNameLowerCase, lastNameLowerCase, companyName, dateAdded, dateUpdated, dnd',
        'filters[1].operator must be one of eq, not_eq, contains, not_contains, exists, not_exists, range',
        'filters[2].group must be AND or OR',
      ])
      expect((await search({ pageLimit: 500, page: 21 })).body.message).toEqual([
        'page × pageLimit may not pass 10000; page on with searchAfter',
      ])
      expect((await search({ pageLimit: 501 })).status).toBe(422)
      expect((await search({ sort: [{ field: 'email' }] })).body.message).toEqual([
        'sort[0].field must be dateAdded or dateUpdated',
      ])
      const foreign = await s.request('POST', '/contacts/search', {
        body: { locationId: s.other.locationId, pageLimit: 10 },
      })
      expect(foreign.status).toBe(403)
    })

    it('finds the contact a new one would duplicate: email first, then the phone in any spelling', async () => {
      const duplicate = (query: string) =>
        s.request('GET', `/contacts/search/duplicate?locationId=${s.locationId}&${query}`)
      expect((await duplicate('email=ANN%40example.com')).body.contact.id).toBe(ids.ann)
      expect((await duplicate('number=%2B17775550100')).body.contact.id).toBe(ids.bob)
      expect((await duplicate('email=gone%40example.com')).body).toEqual({ contact: null })
      expect((await duplicate('')).status).toBe(422)
    })
  })
}
