import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactSelector } from '../../src/domain/selectors.js'
import {
  cancelActivity,
  createListMembershipActivity,
  createTagDeleteActivity,
  createTaggingActivity,
  getActivity,
} from '../../src/services/activities.js'
import { deleteContact } from '../../src/services/contacts.js'
import { runActivityStep } from '../../src/services/runActivity.js'
import { claimRunnableActivity } from '../../src/store/activities.js'
import type { Database } from '../../src/store/database.js'
import { ACTIVITY_SOURCE, listEvents } from '../../src/store/events.js'
import { deleteList, insertList, replaceContactLists } from '../../src/store/lists.js'
import { deleteTag, ensureTagsByName, findTagsByIds } from '../../src/store/tags.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation } from '../helpers/fixtures.js'

async function tagsOf(database: Database, locationId: string, contactId: string): Promise<string[]> {
  const rows = await database.kysely
    .selectFrom('contact_tags')
    .innerJoin('tags', (j) =>
      j
        .onRef('tags.location_id', '=', 'contact_tags.location_id')
        .onRef('tags.id', '=', 'contact_tags.tag_id'),
    )
    .select('tags.name')
    .where('contact_tags.location_id', '=', locationId)
    .where('contact_tags.contact_id', '=', contactId)
    .orderBy('tags.name')
    .execute()
  return rows.map((r) => r.name)
}

for (const dialect of DIALECTS) {
  describe(`tagging activities on ${dialect}`, () => {
    let t: TestDatabase
    let worker: ActivityWorker

    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      worker = new ActivityWorker(t.database, { chunkSize: 3, owner: 'test-worker' })
    })
    afterAll(() => t.drop())

    /** A tenant with a small, varied population. */
    async function population() {
      const locationId = (await makeLocation(t.database)).id
      const [vip] = await ensureTagsByName(t.database, locationId, ['vip'], new Date().toISOString())
      const now = new Date().toISOString()
      const list = await insertList(t.database, {
        location_id: locationId,
        id: crypto.randomUUID(),
        name: 'L',
        created_at: now,
        updated_at: now,
      })
      const plain = await Promise.all(Array.from({ length: 7 }, () => makeContact(t.database, locationId)))
      const tagged = await makeContact(t.database, locationId, ['vip'])
      const member = await makeContact(t.database, locationId)
      await replaceContactLists(t.database, locationId, member, [list?.id as string], now)
      const unsubscribed = await makeContact(t.database, locationId)
      await t.database.kysely
        .updateTable('contacts')
        .set({ unsubscribed_at: now })
        .where('location_id', '=', locationId)
        .where('id', '=', unsubscribed)
        .execute()
      const old = await makeContact(t.database, locationId)
      await t.database.kysely
        .updateTable('contacts')
        .set({ subscribed_at: '2020-01-01T00:00:00.000Z' })
        .where('location_id', '=', locationId)
        .where('id', '=', old)
        .execute()
      const deleted = await makeContact(t.database, locationId)
      await deleteContact(t.database, locationId, deleted, 'test')
      const [target] = await ensureTagsByName(t.database, locationId, ['target'], now)
      return {
        locationId,
        listId: list?.id as string,
        vipId: vip?.id as string,
        targetId: target?.id as string,
        plain,
        tagged,
        member,
        unsubscribed,
        old,
        deleted,
      }
    }

    async function runToEnd() {
      while (await worker.runOne()) {}
    }

    async function taggedWithTarget(locationId: string, ids: string[]) {
      const result: string[] = []
      for (const id of ids) if ((await tagsOf(t.database, locationId, id)).includes('target')) result.push(id)
      return result.sort()
    }

    it.each<
      [
        string,
        (p: Awaited<ReturnType<typeof population>>) => ContactSelector,
        (p: Awaited<ReturnType<typeof population>>) => string[],
      ]
    >([
      [
        'contact_ids',
        (p) => ({
          kind: 'contact_ids',
          contactIds: [p.plain[0] as string, p.deleted, 'Zzzzzzzzzzzzzzzzzzzz'],
        }),
        (p) => [p.plain[0] as string],
      ],
      [
        'list_ids',
        (p) => ({ kind: 'list_ids', listIds: [p.listId], excludeContactIds: [] }),
        (p) => [p.member],
      ],
      ['tag_ids', (p) => ({ kind: 'tag_ids', tagIds: [p.vipId] }), (p) => [p.tagged]],
      [
        'all_active_contacts with exclusions',
        (p) => ({ kind: 'all_active_contacts', excludeContactIds: [p.plain[1] as string] }),
        (p) => [...p.plain.filter((_, i) => i !== 1), p.tagged, p.member, p.old],
      ],
      ['new_subscriber', () => ({ kind: 'new_subscriber' }), (p) => [...p.plain, p.tagged, p.member]],
    ])('%s covers exactly the selected live contacts', async (_name, selectorOf, expectedOf) => {
      const p = await population()
      const activity = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: selectorOf(p),
        tagIds: [p.targetId],
      })
      expect(activity.state).toBe('initialized')
      await runToEnd()
      const done = await getActivity(t.database, p.locationId, activity.id)
      const expected = expectedOf(p).sort()
      expect(done).toMatchObject({
        state: 'completed',
        items_total: expected.length,
        items_completed: expected.length,
      })
      const everyone = [...p.plain, p.tagged, p.member, p.unsubscribed, p.old, p.deleted]
      expect(await taggedWithTarget(p.locationId, everyone)).toEqual(expected)
      const events = (await listEvents(t.database, p.locationId)).filter((e) => e.activity_id === activity.id)
      expect(events.every((e) => e.source === ACTIVITY_SOURCE)).toBe(true)
      expect(events.map((e) => e.contact_id).sort()).toEqual(expected)
      expect(events.every((e) => e.tags_added === '["target"]')).toBe(true)
    })

    it('removes tags, and a second run over the same contacts changes nothing', async () => {
      const p = await population()
      const selector: ContactSelector = { kind: 'all_active_contacts', excludeContactIds: [] }
      await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector,
        tagIds: [p.targetId, p.vipId],
      })
      await runToEnd()
      const remove = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_remove',
        selector,
        tagIds: [p.vipId],
      })
      await runToEnd()
      expect((await getActivity(t.database, p.locationId, remove.id)).state).toBe('completed')
      expect(await tagsOf(t.database, p.locationId, p.tagged)).toEqual(['target'])
      expect(await tagsOf(t.database, p.locationId, p.unsubscribed)).toEqual([])
      const before = (await listEvents(t.database, p.locationId)).length
      await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_remove',
        selector,
        tagIds: [p.vipId],
      })
      await runToEnd()
      expect((await listEvents(t.database, p.locationId)).length).toBe(before)
    })

    it('covers only contacts that existed when it started', async () => {
      const p = await population()
      const activity = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [p.targetId],
      })
      const lease = {
        owner: 'manual',
        now: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      }
      const claimed = await t.database.transaction((tx) => claimRunnableActivity(tx, lease))
      expect(claimed?.id).toBe(activity.id)
      expect(await runActivityStep(t.database, activity, lease)).toBe('more')
      const late = await makeContact(t.database, p.locationId)
      while (
        (await runActivityStep(t.database, activity, lease, { chunkSize: 2, newSubscriberDays: 30 })) ===
        'more'
      ) {}
      expect(await tagsOf(t.database, p.locationId, late)).toEqual([])
      expect(await tagsOf(t.database, p.locationId, p.plain[0] as string)).toContain('target')
    })

    it('is cancelled between chunks; applied chunks stay and the worker stops', async () => {
      const p = await population()
      const activity = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [p.targetId],
      })
      const lease = {
        owner: 'manual',
        now: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      }
      await t.database.transaction((tx) => claimRunnableActivity(tx, lease))
      const settings = { chunkSize: 2, newSubscriberDays: 30 }
      expect(await runActivityStep(t.database, activity, lease, settings)).toBe('more')
      expect(await runActivityStep(t.database, activity, lease, settings)).toBe('more')
      const cancelled = await cancelActivity(t.database, p.locationId, activity.id)
      expect(cancelled).toMatchObject({ state: 'cancelled', items_completed: 2 })
      expect(await runActivityStep(t.database, activity, lease, settings)).toBe('lost')
      expect((await getActivity(t.database, p.locationId, activity.id)).items_completed).toBe(2)
      await expect(cancelActivity(t.database, p.locationId, activity.id)).rejects.toMatchObject({
        code: 'activity-finished',
      })
    })

    it('is taken over from its last chunk when its worker stops renewing the lease', async () => {
      const p = await population()
      const activity = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [p.targetId],
      })
      const past = (ms: number) => new Date(Date.now() - ms).toISOString()
      const deadLease = { owner: 'dead', now: past(120_000), expiresAt: past(60_000) }
      await t.database.transaction((tx) =>
        claimRunnableActivity(tx, { ...deadLease, now: new Date().toISOString() }),
      )
      expect(await runActivityStep(t.database, activity, deadLease)).toBe('more')
      expect(
        await runActivityStep(t.database, activity, deadLease, { chunkSize: 2, newSubscriberDays: 30 }),
      ).toBe('more')
      // The dead worker's lease has expired: another worker takes over and finishes.
      await runToEnd()
      const done = await getActivity(t.database, p.locationId, activity.id)
      expect(done).toMatchObject({ state: 'completed', items_total: 10, items_completed: 10 })
      const events = (await listEvents(t.database, p.locationId)).filter((e) => e.activity_id === activity.id)
      expect(events.every((e) => e.source === ACTIVITY_SOURCE)).toBe(true)
      expect(new Set(events.map((e) => e.contact_id)).size).toBe(events.length)
      expect(events).toHaveLength(10)
      // The dead worker coming back finds it no longer holds the activity.
      expect(await runActivityStep(t.database, activity, deadLease)).toBe('lost')
    })

    it('deletes tags: every holder loses them, then the tags go', async () => {
      const p = await population()
      await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [p.targetId],
      })
      await runToEnd()
      const deletion = await createTagDeleteActivity(t.database, p.locationId, [p.targetId, p.vipId])
      await runToEnd()
      expect(await getActivity(t.database, p.locationId, deletion.id)).toMatchObject({
        state: 'completed',
        items_total: 10,
      })
      expect(await findTagsByIds(t.database, p.locationId, [p.targetId, p.vipId])).toEqual([])
      expect(await tagsOf(t.database, p.locationId, p.tagged)).toEqual([])
    })

    it('refuses tags that do not exist in the account', async () => {
      const p = await population()
      const other = await population()
      await expect(
        createTaggingActivity(t.database, p.locationId, {
          kind: 'contacts_taggings_add',
          selector: { kind: 'new_subscriber' },
          tagIds: [other.targetId],
        }),
      ).rejects.toMatchObject({ code: 'invalid-activity', details: { field: 'tag_ids' } })
    })

    it('fails at start, naming them, when its tags or lists were deleted after it was queued', async () => {
      const p = await population()
      const tagging = await createTaggingActivity(t.database, p.locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [p.vipId, p.targetId],
      })
      const membership = await createListMembershipActivity(t.database, p.locationId, {
        kind: 'add_list_memberships',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        listIds: [p.listId],
      })
      await deleteTag(t.database, p.locationId, p.targetId)
      await deleteList(t.database, p.locationId, p.listId)
      while (await worker.runOne()) {}
      expect(await getActivity(t.database, p.locationId, tagging.id)).toMatchObject({
        state: 'failed',
        errors: [`tags deleted before the activity started: ${p.targetId}`],
        items_completed: 0,
      })
      expect(await getActivity(t.database, p.locationId, membership.id)).toMatchObject({
        state: 'failed',
        errors: [`lists deleted before the activity started: ${p.listId}`],
        items_completed: 0,
      })
      expect(await tagsOf(t.database, p.locationId, p.plain[0] as string)).toEqual([])
    })
  })
}
