import {
  BulkActivitiesApi,
  Configuration,
  ContactListsApi,
  ContactsApi,
  ContactTagsApi,
} from 'ctct-api-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/databases.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

/** The generated Constant Contact client, pointed at our server. */
function clientsFor(s: TestServer, token = s.token) {
  const configuration = new Configuration({ basePath: `${s.baseUrl}/v3`, accessToken: token })
  return {
    tags: new ContactTagsApi(configuration),
    lists: new ContactListsApi(configuration),
    contacts: new ContactsApi(configuration),
    activities: new BulkActivitiesApi(configuration),
  }
}

/** Polls an activity through the client until it completes or fails. */
async function finishedThroughClient(cc: ReturnType<typeof clientsFor>, activityId: string) {
  for (let i = 0; i < 400; i++) {
    const { data } = await cc.activities.getActivityById(activityId)
    if (data.state === 'completed' || data.state === 'failed') return data
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('activity did not finish')
}

for (const dialect of DIALECTS) {
  describe(`ctct-api-client against Tagbase on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect, { chunkSize: 4 })
    })
    afterAll(() => s.close())

    it('creates tags, lists and contacts, runs add and remove activities, polls them to completion', async () => {
      const cc = clientsFor(s)
      const tag = (await cc.tags.postTag({ name: 'Webinar', tag_source: 'e2e' })).data
      const other = (await cc.tags.postTag({ name: 'Lead' })).data
      const list = (await cc.lists.createList({ name: 'Attendees' })).data
      const ids: string[] = []
      for (let i = 0; i < 10; i++) {
        const created = await cc.contacts.createContact({
          email_address: { address: `att${i}@example.com`, permission_to_send: 'implicit' },
          first_name: `Att${i}`,
          create_source: 'Account',
          ...(i % 2 === 0 ? { list_memberships: [list.list_id] } : {}),
        })
        expect(created.status).toBe(201)
        ids.push(created.data.contact_id as string)
      }

      const poll = (activityId: string) => finishedThroughClient(cc, activityId)

      const add = await cc.activities.createTagAddContactActivity({
        source: { list_ids: [list.list_id] },
        exclude: { contact_ids: [ids[0] as string] },
        tag_ids: [tag.tag_id as string, other.tag_id as string],
      })
      expect(add.status).toBe(201)
      expect(add.data.state).toBe('initialized')
      const added = await poll(add.data.activity_id)
      expect(added).toMatchObject({
        state: 'completed',
        percent_done: 100,
        status: { items_total_count: 4, items_completed_count: 4 },
      })
      const tagged = await cc.contacts.getAllContacts(undefined, undefined, undefined, undefined, tag.tag_id)
      expect(tagged.data.contacts?.map((c) => c.contact_id).sort()).toEqual(
        [ids[2], ids[4], ids[6], ids[8]].sort(),
      )

      const remove = await cc.activities.createTagRemoveActivity({
        source: { tag_ids: [tag.tag_id as string] },
        tag_ids: [tag.tag_id as string],
      })
      expect((await poll(remove.data.activity_id)).state).toBe('completed')
      const one = await cc.contacts.getContactById(ids[2] as string)
      expect(one.data.taggings).toEqual([other.tag_id])

      // Look the contact up by email, then act on it: the vendor's documented flow.
      const byEmail = await cc.contacts.getAllContacts(undefined, 'ATT2@Example.com')
      expect(byEmail.data.contacts?.map((c) => c.contact_id)).toEqual([ids[2]])
      const nobody = await cc.contacts.getAllContacts(undefined, 'nobody@nowhere.com')
      expect(nobody.data.contacts).toEqual([])
      const countedPage = await cc.contacts.getAllContacts(
        'all',
        undefined,
        undefined,
        undefined,
        other.tag_id,
        undefined,
        undefined,
        '2000-01-01',
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        true,
        2,
      )
      expect(countedPage.data.contacts).toHaveLength(2)
      expect(countedPage.data.contacts_count).toBe(4)
      const consent = await cc.contacts.getContactCounts('new_subscriber')
      expect(consent.data).toEqual({
        total: 10,
        explicit: 0,
        implicit: 10,
        pending: 0,
        unsubscribed: 0,
        new_subscriber: 10,
      })

      const counted = await cc.tags.getTag(other.tag_id as string, true)
      expect(counted.data.contacts_count).toBe(4)
      // Paging as the client does it: its options carry the cursor from _links.next.
      const firstPage = await cc.activities.getAllActivities(1)
      expect(firstPage.data.activities).toHaveLength(1)
      const nextHref = firstPage.data._links?.next?.href as string
      const cursor = new URL(nextHref, 'http://tagbase').searchParams.get('cursor')
      const secondPage = await cc.activities.getAllActivities(1, undefined, { params: { cursor } })
      expect(secondPage.data.activities?.[0]?.activity_id).not.toBe(
        firstPage.data.activities?.[0]?.activity_id,
      )

      const all = await cc.activities.getAllActivities(50, 'completed')
      expect(all.data.activities?.map((a) => a.activity_id)).toEqual(
        expect.arrayContaining([add.data.activity_id, remove.data.activity_id]),
      )
    })

    it('puts contacts on lists and takes them off with createListAddActivity / createListRemoveActivity', async () => {
      const cc = clientsFor(s)
      const tag = (await cc.tags.postTag({ name: 'Attended' })).data
      const list = (await cc.lists.createList({ name: 'Follow-up' })).data
      const ids: string[] = []
      for (let i = 0; i < 6; i++) {
        const created = await cc.contacts.createContact({
          email_address: { address: `follow${i}@example.com`, permission_to_send: 'implicit' },
          create_source: 'Account',
          ...(i < 3 ? { taggings: [tag.tag_id as string] } : {}),
        })
        ids.push(created.data.contact_id as string)
      }
      const poll = (activityId: string) => finishedThroughClient(cc, activityId)
      const members = async () =>
        (await cc.contacts.getAllContacts(undefined, undefined, list.list_id)).data.contacts
          ?.map((c) => c.contact_id)
          .sort()

      // "Put everyone tagged X on list Y."
      const add = await cc.activities.createListAddActivity({
        source: { tag_ids: [tag.tag_id as string] },
        list_ids: [list.list_id as string],
      })
      expect(add.status).toBe(201)
      expect(add.data).toMatchObject({ activity_id: expect.any(String), state: 'initialized' })
      expect(await poll(add.data.activity_id as string)).toMatchObject({
        state: 'completed',
        percent_done: 100,
        status: { items_total_count: 3, items_completed_count: 3, list_count: 1 },
      })
      expect(await members()).toEqual(ids.slice(0, 3).sort())

      const remove = await cc.activities.createListRemoveActivity({
        source: { contact_ids: [ids[0] as string, ids[1] as string] },
        list_ids: [list.list_id as string],
      })
      expect(remove.status).toBe(201)
      expect((await poll(remove.data.activity_id as string)).state).toBe('completed')
      expect(await members()).toEqual([ids[2]])
    })

    it('surfaces errors as the client expects them: status and the error array', async () => {
      const cc = clientsFor(s)
      const error = await cc.activities
        .createTagAddContactActivity({ source: { contact_ids: ['x'], list_ids: ['y'] }, tag_ids: ['t'] })
        .catch((e: { response?: { status: number; data: unknown } }) => e)
      expect(error).toMatchObject({
        response: {
          status: 400,
          data: [{ error_key: 'http.status.bad_request', error_message: expect.any(String) }],
        },
      })
      const unauthorized = await clientsFor(s, 'pit-unknown')
        .tags.getAllTags()
        .catch((e: { response?: { status: number } }) => e)
      expect(unauthorized).toMatchObject({ response: { status: 401 } })
    })
  })
}
