import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaggingActivity, getActivity } from '../../src/services/activities.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { ACTIVITY_MAX_FAILED_ATTEMPTS, ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'

for (const dialect of DIALECTS) {
  describe(`a poisoned activity on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it("fails after bounded retries with its error shown, and never holds up another location's activity", async () => {
      const poisoned = await makeLocation(t.database, 'Poisoned')
      const healthy = await makeLocation(t.database, 'Healthy')
      await seedContacts(t.database, poisoned.id, 10)
      await seedContacts(t.database, healthy.id, 300)
      const start = async (locationId: string) => {
        const [tag] = await ensureTagsByName(t.database, locationId, ['p'], new Date().toISOString())
        return createTaggingActivity(t.database, locationId, {
          kind: 'contacts_taggings_add',
          selector: { kind: 'all_active_contacts', excludeContactIds: [] },
          tagIds: [tag?.id as string],
        })
      }
      const bad = await start(poisoned.id)
      // Data no step can work with (as a bug or a hand edit could leave): the step throws every time.
      await t.database.kysely
        .updateTable('activities')
        .set({ selector: '{"kind": "all_active_contacts", ' })
        .where('id', '=', bad.id)
        .execute()
      const good = await start(healthy.id)

      const worker = new ActivityWorker(t.database, { chunkSize: 100, pollMs: 10, retryBaseMs: 200 })
      worker.start()
      try {
        // The healthy activity, queued after the poisoned one, completes while the poisoned one
        // is still between its retries.
        await expect
          .poll(async () => (await getActivity(t.database, healthy.id, good.id)).state, {
            timeout: 20_000,
            interval: 20,
          })
          .toBe('completed')
        const meanwhile = await t.database.kysely
          .selectFrom('activities')
          .select(['state', 'failed_attempts'])
          .where('id', '=', bad.id)
          .executeTakeFirstOrThrow()
        expect(meanwhile.state).not.toBe('failed')
        expect(meanwhile.failed_attempts).toBeLessThan(ACTIVITY_MAX_FAILED_ATTEMPTS)

        await expect
          .poll(async () => (await getActivity(t.database, poisoned.id, bad.id)).state, {
            timeout: 30_000,
            interval: 50,
          })
          .toBe('failed')
        const errors = JSON.parse((await getActivity(t.database, poisoned.id, bad.id)).errors) as string[]
        expect(errors).toHaveLength(1)
        expect(errors[0]).toMatch(
          new RegExp(`^The activity failed after ${ACTIVITY_MAX_FAILED_ATTEMPTS} attempts: `),
        )
      } finally {
        await worker.stop()
      }
    })
  })
}
