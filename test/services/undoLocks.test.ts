import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaggingActivity, getActivity } from '../../src/services/activities.js'
import { applyTagEdit } from '../../src/services/tagEdits.js'
import { createUndoActivity } from '../../src/services/undoActivity.js'
import { lockLiveContacts } from '../../src/store/contacts.js'
import { listTagsOfContacts } from '../../src/store/contactTags.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'

/**
 * An undo decides per contact from the events logged after the original activity, so it must
 * read them under the contacts' locks: a change committing while the chunk runs is then either
 * read (and the contact left alone) or waits for the chunk. PostgreSQL only: SQLite serialises
 * whole write transactions, so no change can commit inside a chunk.
 */
for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe(`undo under concurrent changes on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    async function completed(worker: ActivityWorker, locationId: string, id: string) {
      worker.wake()
      for (let i = 0; i < 400; i++) {
        const activity = await getActivity(t.database, locationId, id)
        if (activity.state === 'completed' || activity.state === 'failed') return activity
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      throw new Error(`activity ${id} did not finish`)
    }

    it('leaves alone a contact whose tags change while the undo chunk runs', async () => {
      const location = await makeLocation(t.database)
      const [changing, plain] = (await seedContacts(t.database, location.id, 2)) as [string, string]
      const [tag] = await ensureTagsByName(t.database, location.id, ['undo-race'], new Date().toISOString())
      const worker = new ActivityWorker(t.database, { chunkSize: 100, pollMs: 20 })
      worker.start()
      try {
        const added = await createTaggingActivity(t.database, location.id, {
          kind: 'contacts_taggings_add',
          selector: { kind: 'contact_ids', contactIds: [changing, plain] },
          tagIds: [tag?.id as string],
        })
        expect((await completed(worker, location.id, added.id)).state).toBe('completed')

        // A change to `changing` holds its lock, uncommitted, while the undo starts.
        let commit: () => void = () => {}
        let changeHeld: () => void = () => {}
        const held = new Promise<void>((resolve) => {
          changeHeld = resolve
        })
        const change = t.database.transaction(async (tx) => {
          await lockLiveContacts(tx, location.id, [changing])
          await applyTagEdit(
            tx,
            location.id,
            [changing],
            { add: [], remove: ['undo-race'] },
            'test',
            new Date().toISOString(),
          )
          changeHeld()
          await new Promise<void>((resolve) => {
            commit = resolve
          })
        })
        await held
        const undo = await createUndoActivity(t.database, location.id, added.id)
        worker.wake()
        await new Promise((resolve) => setTimeout(resolve, 400))
        commit()
        await change

        const finished = await completed(worker, location.id, undo.id)
        expect(finished.state).toBe('completed')
        expect(finished.errors).toContain(
          `contact ${changing} left alone: its tags were changed again after the activity`,
        )
        expect(await listTagsOfContacts(t.database, location.id, [changing, plain])).toEqual([])
      } finally {
        await worker.stop()
      }
    })
  })
}
