import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createListMembershipActivity,
  createTaggingActivity,
  getActivity,
} from '../../src/services/activities.js'
import { createList } from '../../src/services/lists.js'
import { ACTIVITY_SOURCE } from '../../src/store/events.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { spawnTagbase } from '../helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'

const CONTACTS = 50_000
const KILLS = 10

function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min))
}

for (const dialect of DIALECTS) {
  describe(`tagbase worker killed with SIGKILL on ${dialect}`, () => {
    let t: TestDatabase
    const running = new Set<ChildProcess>()
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(async () => {
      for (const child of running) child.kill('SIGKILL')
      await t.drop()
    })

    function startWorker() {
      const child = spawnTagbase(t, ['worker'], {
        LOG_LEVEL: 'warn',
        ACTIVITY_CHUNK_SIZE: '200',
        ACTIVITY_LEASE_MS: '1000',
      })
      running.add(child)
      child.once('exit', () => running.delete(child))
      return child
    }

    /**
     * Starts a worker and SIGKILLs it as soon as the activity's committed progress passes
     * `target`, so it dies with the next chunk's transaction in flight.
     */
    async function killOncePast(locationId: string, activityId: string, target: number) {
      const worker = startWorker()
      for (;;) {
        const state = await getActivity(t.database, locationId, activityId)
        expect(state.state, 'the activity finished before all kills').not.toBe('completed')
        expect(state.state, `the activity failed: ${state.errors.join('; ')}`).not.toBe('failed')
        if (state.items_completed >= target && state.state === 'processing') break
        await new Promise((r) => setTimeout(r, 2))
      }
      worker.kill('SIGKILL')
      await once(worker, 'exit')
    }

    /** A last worker runs the activity to its end (up to two minutes), then stops cleanly. */
    async function runToTheEnd(locationId: string, activityId: string) {
      const last = startWorker()
      for (let i = 0; i < 1200; i++) {
        if ((await getActivity(t.database, locationId, activityId)).state === 'completed') break
        await new Promise((r) => setTimeout(r, 100))
      }
      last.kill('SIGTERM')
      await once(last, 'exit')
    }

    it(`resumes after ${KILLS}+ kills with every tag applied once and one event per contact`, async () => {
      const locationId = (await makeLocation(t.database)).id
      await seedContacts(t.database, locationId, CONTACTS)
      const [tag] = await ensureTagsByName(t.database, locationId, ['crash-proof'], new Date().toISOString())
      const activity = await createTaggingActivity(t.database, locationId, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [tag?.id as string],
      })

      // Two kills during start-up (before or while claiming), then one kill at a random point in
      // each tenth of the first 90 % of the work: the worker is killed as soon as the committed
      // progress passes the target, so it dies with the next chunk's transaction in flight.
      for (let i = 0; i < 2; i++) {
        const worker = startWorker()
        await new Promise((r) => setTimeout(r, randomBetween(0, 300)))
        worker.kill('SIGKILL')
        await once(worker, 'exit')
      }
      const progressAtKill: number[] = []
      for (let i = 0; i < KILLS; i++) {
        const target = Math.floor(((i + Math.random()) * 0.9 * CONTACTS) / KILLS)
        await killOncePast(locationId, activity.id, target)
        progressAtKill.push((await getActivity(t.database, locationId, activity.id)).items_completed)
      }
      // Every kill interrupted work in progress: progress grew across the kills and was never lost.
      expect(progressAtKill).toEqual([...progressAtKill].sort((a, b) => a - b))
      expect(progressAtKill.at(-1)).toBeLessThan(CONTACTS)

      await runToTheEnd(locationId, activity.id)

      const done = await getActivity(t.database, locationId, activity.id)
      expect(done).toMatchObject({ state: 'completed', items_total: CONTACTS, items_completed: CONTACTS })
      const tagged = await t.database.kysely
        .selectFrom('contact_tags')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('location_id', '=', locationId)
        .where('tag_id', '=', tag?.id as string)
        .executeTakeFirstOrThrow()
      expect(Number(tagged.n)).toBe(CONTACTS)
      const events = await t.database.kysely
        .selectFrom('events')
        .select((eb) => [
          eb.fn.countAll<number>().as('rows'),
          eb.fn.count<number>('contact_id').distinct().as('contacts'),
        ])
        .where('location_id', '=', locationId)
        .where('activity_id', '=', activity.id)
        .where('source', '=', ACTIVITY_SOURCE)
        .executeTakeFirstOrThrow()
      expect({ rows: Number(events.rows), contacts: Number(events.contacts) }).toEqual({
        rows: CONTACTS,
        contacts: CONTACTS,
      })
    }, 300_000)
    it('resumes a list-membership activity after kills with every membership added once and logged once', async () => {
      const contacts = 20_000
      const locationId = (await makeLocation(t.database, 'memberships')).id
      await seedContacts(t.database, locationId, contacts)
      const list = await createList(t.database, locationId, { name: 'crash-proof' })
      const activity = await createListMembershipActivity(t.database, locationId, {
        kind: 'add_list_memberships',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        listIds: [list.id],
      })
      for (let i = 0; i < 4; i++) {
        const target = Math.floor(((i + Math.random()) * 0.9 * contacts) / 4)
        await killOncePast(locationId, activity.id, target)
      }
      await runToTheEnd(locationId, activity.id)
      expect(await getActivity(t.database, locationId, activity.id)).toMatchObject({
        state: 'completed',
        items_total: contacts,
        items_completed: contacts,
      })
      const count = async (table: 'list_memberships' | 'list_membership_changes') =>
        Number(
          (
            await t.database.kysely
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('location_id', '=', locationId)
              .executeTakeFirstOrThrow()
          ).n,
        )
      expect(await count('list_memberships')).toBe(contacts)
      expect(await count('list_membership_changes')).toBe(contacts)
    }, 300_000)
  })
}
