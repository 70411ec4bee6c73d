import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocation } from '../../../src/services/admin.js'
import { listEvents } from '../../../src/store/events.js'
import { DIALECTS } from '../../helpers/databases.js'
import { makeToken } from '../../helpers/fixtures.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

for (const dialect of DIALECTS) {
  describe(`HighLevel contact routes on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const create = (body: Record<string, unknown>) =>
      s.request('POST', '/contacts/', { body: { locationId: s.locationId, ...body } })

    it('creates a contact with normalised tags and reads it back', async () => {
      const created = await create({
        firstName: 'Rosan',
        lastName: 'Deo',
        email: 'Rosan@Deos.com',
        phone: '+1 888-888-8888',
        tags: ['Nisi Sint', 'consequat', 'CONSEQUAT'],
        customFields: [{ id: 'f1', value: 'XYZ' }],
        dnd: true,
      })
      expect(created.status).toBe(201)
      const contact = created.body.contact
      expect(contact).toMatchObject({
        locationId: s.locationId,
        firstName: 'Rosan',
        lastName: 'Deo',
        name: 'Rosan Deo',
        email: 'Rosan@Deos.com',
        emailLowerCase: 'rosan@deos.com',
        dnd: true,
        tags: ['consequat', 'nisi sint'],
        customFields: [{ id: 'f1', value: 'XYZ' }],
      })
      expect(contact.id).toMatch(/^[0-9A-Za-z]{20}$/)
      const read = await s.request('GET', `/contacts/${contact.id}`)
      expect(read).toEqual({ status: 200, body: { contact } })
      const events = await listEvents(s.database, s.locationId, contact.id)
      expect(events.map((e) => [e.type, JSON.parse(e.tags_added)])).toEqual([
        ['ContactCreate', []],
        ['ContactTagUpdate', ['nisi sint', 'consequat']],
      ])
    })

    it('refuses a duplicate email or phone, naming the existing contact', async () => {
      const first = await create({ email: 'dup@example.com' })
      const again = await create({ email: 'DUP@example.com' })
      expect(again).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          message: 'This location does not allow duplicated contacts.',
          error: 'Bad Request',
          meta: { contactId: first.body.contact.id, matchingField: 'email' },
        },
      })
    })

    it("takes birth dates in HighLevel's formats and answers the fields its contact schema has", async () => {
      const created = await create({ email: 'born@example.com', dateOfBirth: '09/25/1990' })
      expect(created.status).toBe(201)
      expect(created.body.contact).toMatchObject({
        dateOfBirth: '1990-09-25T00:00:00.000Z',
        birthMonth: 9,
        birthDay: 25,
        deleted: false,
        bounceEmail: false,
        unsubscribeEmail: false,
      })
      const id = created.body.contact.id
      for (const [given, stored] of [
        ['1990.01.02', '1990-01-02T00:00:00.000Z'],
        ['1990_01_03', '1990-01-03T00:00:00.000Z'],
        ['01-04-1990', '1990-01-04T00:00:00.000Z'],
        ['1990-01-05T00:00:00.000Z', '1990-01-05T00:00:00.000Z'],
      ]) {
        const updated = await s.request('PUT', `/contacts/${id}`, { body: { dateOfBirth: given } })
        expect(updated.body.contact.dateOfBirth, given).toBe(stored)
      }
      const bad = await create({ email: 'unborn@example.com', dateOfBirth: '1990-02-30' })
      expect(bad.status).toBe(422)
      expect(bad.body.message).toEqual([
        'dateOfBirth must be a date as YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, MM-DD-YYYY, YYYY.MM.DD, MM.DD.YYYY, YYYY_MM_DD, MM_DD_YYYY',
      ])
    })

    it('stores phones in E.164, so spellings of one number are one contact', async () => {
      const first = await create({ email: 'phone1@example.com', phone: '+1 777-555-0142' })
      expect(first.body.contact.phone).toBe('+17775550142')
      for (const spelling of ['+17775550142', '(777) 555-0142', '777.555.0142']) {
        const again = await create({ phone: spelling })
        expect(again.status, spelling).toBe(400)
        expect(again.body.meta).toEqual({ contactId: first.body.contact.id, matchingField: 'phone' })
      }
      const upserted = await s.request('POST', '/contacts/upsert', {
        body: { locationId: s.locationId, phone: '777 555 0142', firstName: 'Same' },
      })
      expect(upserted.body.new).toBe(false)
      expect(upserted.body.contact.id).toBe(first.body.contact.id)
      // Not readable as a number: kept as written, matching only itself.
      const odd = await create({ email: 'odd@example.com', phone: 'ext. 12' })
      expect(odd.status).toBe(201)
      expect(odd.body.contact.phone).toBe('ext. 12')
    })

    it("reads national numbers in the location's phone country", async () => {
      const uk = await createLocation(s.database, 'UK office', { phoneCountry: 'gb' })
      const token = await makeToken(s.database, uk.id)
      const created = await s.request('POST', '/contacts/', {
        body: { locationId: uk.id, email: 'uk@example.com', phone: '020 7946 0958' },
        token,
      })
      expect(created.status).toBe(201)
      expect(created.body.contact.phone).toBe('+442079460958')
      await expect(createLocation(s.database, 'Nowhere', { phoneCountry: 'XX' })).rejects.toThrow(
        'phone country must be an ISO 3166-1 alpha-2 code',
      )
    })

    it('updates fields, replaces tags when given, and keeps them when not', async () => {
      const { body } = await create({ firstName: 'Old', tags: ['a', 'b'] })
      const id = body.contact.id
      const renamed = await s.request('PUT', `/contacts/${id}`, {
        body: { firstName: 'New', city: 'Dolomite' },
      })
      expect(renamed.status).toBe(200)
      expect(renamed.body).toMatchObject({
        succeded: true,
        contact: { firstName: 'New', name: 'New', city: 'Dolomite', tags: ['a', 'b'] },
      })
      const retagged = await s.request('PUT', `/contacts/${id}`, { body: { tags: ['b', 'C'] } })
      expect(retagged.body.contact.tags).toEqual(['b', 'c'])
      const events = await listEvents(s.database, s.locationId, id)
      expect(events.at(-1)).toMatchObject({ tags_added: '["c"]', tags_removed: '["a"]' })
    })

    it('upserts by email: creates first, then updates the same contact', async () => {
      const first = await s.request('POST', '/contacts/upsert', {
        body: { locationId: s.locationId, email: 'upsert@example.com', firstName: 'One' },
      })
      expect(first.status).toBe(200)
      expect(first.body.new).toBe(true)
      const second = await s.request('POST', '/contacts/upsert', {
        body: { locationId: s.locationId, email: 'UPSERT@example.com', lastName: 'Two', tags: ['up'] },
      })
      expect(second.body.new).toBe(false)
      expect(second.body.contact).toMatchObject({ id: first.body.contact.id, name: 'One Two', tags: ['up'] })
      expect(typeof second.body.traceId).toBe('string')
    })

    it('soft-deletes: the contact leaves reads and lists but its id still says deleted', async () => {
      const { body } = await create({ firstName: 'Gone' })
      const id = body.contact.id
      expect(await s.request('DELETE', `/contacts/${id}`)).toEqual({ status: 200, body: { succeded: true } })
      expect(await s.request('GET', `/contacts/${id}`)).toEqual({
        status: 400,
        body: { statusCode: 400, message: 'Contact is deleted', error: 'Bad Request' },
      })
      expect((await s.request('DELETE', `/contacts/${id}`)).status).toBe(400)
      const list = await s.request('GET', `/contacts/?locationId=${s.locationId}&query=gone`)
      expect(list.body.contacts).toEqual([])
    })

    it('answers a malformed id with the firebase id message', async () => {
      expect(await s.request('GET', '/contacts/abc')).toEqual({
        status: 400,
        body: { statusCode: 400, message: 'contact id is not a valid firebase id', error: 'Bad Request' },
      })
    })

    it('lists with a query filter and keyset pages by startAfterId', async () => {
      const ids: string[] = []
      for (let i = 0; i < 5; i++)
        ids.push((await create({ firstName: `Pager${i}`, companyName: 'Paging Co' })).body.contact.id)
      const seen: string[] = []
      let startAfterId: string | undefined
      for (let page = 0; page < 5; page++) {
        const qs = new URLSearchParams({ locationId: s.locationId, query: 'PAGING co', limit: '2' })
        if (startAfterId) qs.set('startAfterId', startAfterId)
        const response = await s.request('GET', `/contacts/?${qs}`)
        expect(response.status).toBe(200)
        expect(response.body.count).toBe(5)
        seen.push(...response.body.contacts.map((c: { id: string }) => c.id))
        startAfterId = response.body.meta.startAfterId ?? undefined
        if (!startAfterId) break
      }
      expect(seen).toEqual([...ids].sort())
      const wildcard = await s.request('GET', `/contacts/?locationId=${s.locationId}&query=%25`)
      expect(wildcard.body.contacts).toEqual([])
    })

    it('validates list parameters', async () => {
      const response = await s.request('GET', `/contacts/?locationId=${s.locationId}&limit=500`)
      expect(response).toEqual({
        status: 422,
        body: {
          statusCode: 422,
          message: ['limit must not be greater than 100'],
          error: 'Unprocessable Entity',
        },
      })
    })

    it('adds and removes tags on one contact with POST/DELETE /contacts/{id}/tags', async () => {
      const { body } = await create({ tags: ['keep'] })
      const id = body.contact.id
      expect(
        await s.request('POST', `/contacts/${id}/tags`, { body: { tags: ['New One', 'keep'] } }),
      ).toEqual({
        status: 201,
        body: { tags: ['keep', 'new one'] },
      })
      expect(
        await s.request('DELETE', `/contacts/${id}/tags`, { body: { tags: ['NEW ONE', 'absent'] } }),
      ).toEqual({
        status: 200,
        body: { tags: ['keep'] },
      })
      expect((await s.request('POST', `/contacts/${id}/tags`, { body: { tags: [] } })).status).toBe(422)
      expect((await s.request('POST', `/contacts/${id}/tags`, { body: { tags: [' '] } })).body).toEqual({
        statusCode: 422,
        message: ['tags must not contain empty names'],
        error: 'Unprocessable Entity',
      })
    })
  })
}
