import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deliveryWebhookId,
  unrecordedSendsAtMost,
  WEBHOOK_WORKER_DEFAULTS,
} from '../../src/domain/webhooks.js'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { listEvents } from '../../src/store/events.js'
import { countDeliveriesByState } from '../../src/store/webhookDeliveries.js'
import { spawnTagbase } from '../helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.js'

const CONTACTS = 200
const CONCURRENCY = 8

for (const dialect of DIALECTS) {
  describe(`webhook delivery by two tagbase worker processes, one SIGKILLed, on ${dialect}`, () => {
    let t: TestDatabase
    let receiver: WebhookReceiver
    const running = new Set<ChildProcess>()
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      receiver = await startWebhookReceiver({ answerDelayMs: 20 })
    })
    afterAll(async () => {
      for (const child of running) child.kill('SIGKILL')
      await receiver.close()
      await t.drop()
    })

    function startWorker() {
      const child = spawnTagbase(t, ['worker'], {
        LOG_LEVEL: 'warn',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_CONCURRENCY: String(CONCURRENCY),
        WEBHOOK_RETRY_BASE_MS: '20',
        WEBHOOK_RETRY_MAX_MS: '200',
      })
      running.add(child)
      child.once('exit', () => running.delete(child))
      return child
    }

    it('delivers every event; only what the killed process had sent and not recorded arrives twice', async () => {
      const locationId = (await makeLocation(t.database)).id
      const contacts = await seedContacts(t.database, locationId, CONTACTS)
      const webhook = await registerWebhook(
        t.database,
        locationId,
        { url: receiver.url },
        ALLOW_INTERNAL_TARGETS,
      )
      for (const tag of ['first', 'second'])
        await bulkUpdateTags(t.database, {
          locationId,
          operation: 'add',
          contactIds: contacts,
          tagNames: [tag],
          removeAllTags: false,
          source: 'crash-test',
        })
      const events = await listEvents(t.database, locationId)
      expect(events).toHaveLength(2 * CONTACTS)

      const doomed = startWorker()
      const survivor = startWorker()
      while (receiver.receipts.length < CONTACTS / 2) await new Promise((r) => setTimeout(r, 10))
      doomed.kill('SIGKILL')
      await once(doomed, 'exit')

      // The killed worker's leases run out (2 × timeout + 10 s), then the survivor sends those too.
      const deadline = Date.now() + 60_000
      for (;;) {
        const counts = await countDeliveriesByState(t.database, locationId, webhook.id)
        if (counts.pending + counts.delivering === 0) break
        if (Date.now() > deadline) throw new Error(`deliveries left: ${JSON.stringify(counts)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      survivor.kill('SIGTERM')
      await once(survivor, 'exit')

      const receivedById = new Map<string, number>()
      for (const receipt of receiver.receipts)
        receivedById.set(receipt.body.webhookId, (receivedById.get(receipt.body.webhookId) ?? 0) + 1)
      for (const event of events)
        expect(
          receivedById.get(deliveryWebhookId(webhook.id, event.id)),
          `event ${event.id}`,
        ).toBeGreaterThan(0)
      // Sent again: only what the killed worker had sent and not yet recorded.
      const duplicates = [...receivedById.values()].filter((n) => n > 1).length
      expect(duplicates).toBeLessThanOrEqual(unrecordedSendsAtMost(WEBHOOK_WORKER_DEFAULTS.perEndpoint))

      // Per contact, the first receipt of each event comes in event order.
      const eventIdByDelivery = new Map(events.map((e) => [deliveryWebhookId(webhook.id, e.id), e]))
      const seen = new Map<string, number>()
      for (const receipt of receiver.receipts) {
        const event = eventIdByDelivery.get(receipt.body.webhookId)
        if (!event) continue
        const last = seen.get(event.contact_id) ?? 0
        expect(event.id).toBeGreaterThanOrEqual(last)
        seen.set(event.contact_id, Math.max(last, event.id))
      }
    })
  })
}
