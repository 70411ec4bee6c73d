import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { highLevelContactTagUpdate } from '../../src/http/highlevel/webhookPayload.js'
import { createTaggingActivity, getActivity } from '../../src/services/activities.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { countDeliveriesByState, listDeliveries } from '../../src/store/webhookDeliveries.js'
import { ACTIVITY_MAX_FAILED_ATTEMPTS, ActivityWorker } from '../../src/worker/activityWorker.js'
import { WebhookDeliveryWorker } from '../../src/worker/webhookWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.js'

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
      // Data no step can work with (as a bug or a hand edit could leave): a selector naming
      // contacts without their ids. The step throws every time.
      await t.database.kysely
        .updateTable('activities')
        .set({ selector: '{"kind": "contact_ids"}' })
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
        const { errors } = await getActivity(t.database, poisoned.id, bad.id)
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

for (const dialect of DIALECTS) {
  describe(`a poisoned webhook delivery on ${dialect}`, () => {
    let s: TestServer
    let receiver: WebhookReceiver
    beforeAll(async () => {
      s = await startTestServer(dialect)
      receiver = await startWebhookReceiver()
    })
    afterAll(async () => {
      await receiver.close()
      await s.close()
    })

    it('ends dead after the bounded tries with its reason, while the rest is delivered', async () => {
      const hook = await registerWebhook(
        s.database,
        s.locationId,
        { url: receiver.url },
        ALLOW_INTERNAL_TARGETS,
      )
      const otherHook = await registerWebhook(
        s.database,
        s.other.locationId,
        { url: receiver.url },
        ALLOW_INTERNAL_TARGETS,
      )
      const [contact] = await seedContacts(s.database, s.locationId, 1)
      const [otherContact] = await seedContacts(s.database, s.other.locationId, 1)
      const bulk = (locationId: string, token: string, id: string, tag: string) =>
        s.request('POST', '/contacts/bulk/tags/update/add', {
          body: { contacts: [id], tags: [tag], locationId },
          token,
        })
      expect((await bulk(s.locationId, s.token, contact as string, 'one')).status).toBe(201)
      expect((await bulk(s.locationId, s.token, contact as string, 'two')).status).toBe(201)
      expect((await bulk(s.other.locationId, s.other.token, otherContact as string, 'x')).status).toBe(201)
      // The later event's stored change is unreadable: the first event's payload (which replays
      // later changes backwards) cannot be built.
      const [, later] = await s.database.kysely
        .selectFrom('events')
        .select('id')
        .where('location_id', '=', s.locationId)
        .orderBy('id')
        .execute()
      await s.database.kysely
        .updateTable('events')
        .set({ tags_added: '["two"' })
        .where('id', '=', later?.id as number)
        .execute()

      const worker = new WebhookDeliveryWorker(s.database, {
        payload: highLevelContactTagUpdate,
        pollMs: 10,
        targets: ALLOW_INTERNAL_TARGETS,
        retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
      })
      worker.start()
      try {
        await expect
          .poll(
            async () =>
              (await countDeliveriesByState(s.database, s.other.locationId, otherHook.id)).delivered,
            {
              timeout: 10_000,
            },
          )
          .toBe(1)
        await expect
          .poll(async () => (await listDeliveries(s.database, s.locationId, hook.id)).map((d) => d.state), {
            timeout: 10_000,
          })
          .toEqual(['dead', 'delivered'])
      } finally {
        await worker.stop()
      }
      const [dead] = await listDeliveries(s.database, s.locationId, hook.id)
      expect(dead?.attempts).toBe(3)
      expect(dead?.last_error).toMatch(/payload could not be built/)
    })
  })
}
