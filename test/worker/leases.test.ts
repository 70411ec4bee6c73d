import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTaggingActivity } from '../../src/services/activities.js'
import { claimRunnableActivity } from '../../src/store/activities.js'
import { leaseFromDatabaseClock, readDatabaseClock } from '../../src/store/leases.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'

for (const dialect of DIALECTS) {
  describe(`leases on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it("take their time from the database's clock: a host whose clock runs ahead cannot steal one", async () => {
      expect(Math.abs((await readDatabaseClock(t.database)) - Date.now())).toBeLessThan(5000)
      const location = await makeLocation(t.database)
      const [tag] = await ensureTagsByName(t.database, location.id, ['t'], new Date().toISOString())
      await createTaggingActivity(t.database, location.id, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: [tag?.id as string],
      })
      const held = await t.database.transaction(async (tx) =>
        claimRunnableActivity(tx, await leaseFromDatabaseClock(tx, 'host-a', 60_000)),
      )
      expect(held).toBeDefined()

      // Host B's clock is two hours ahead: by its own clock host A's lease ran out long ago.
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + 2 * 3_600_000)
      try {
        const other = new ActivityWorker(t.database, { owner: 'host-b' })
        expect(await other.runOne()).toBe(false)
      } finally {
        vi.useRealTimers()
      }
      const row = await t.database.kysely
        .selectFrom('activities')
        .select(['lease_owner', 'state'])
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ lease_owner: 'host-a', state: 'initialized' })
    })
  })
}
