import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { highLevelContactTagUpdate } from '../../src/http/highlevel/webhookPayload.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { CLOSED_WEBHOOK_TARGETS, type WebhookTargetPolicy } from '../../src/services/webhookTargets.js'
import { listDeliveries } from '../../src/store/webhookDeliveries.js'
import { WebhookDeliveryWorker } from '../../src/worker/webhookWorker.js'
import { DIALECTS } from '../helpers/databases.js'
import { seedContacts } from '../helpers/seed.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.js'

/** Runs a worker (two tries per delivery) until the webhook's one delivery is dead; returns it. */
async function deadAfterTwoTries(s: TestServer, webhookId: string, targets: WebhookTargetPolicy) {
  const worker = new WebhookDeliveryWorker(s.database, {
    payload: highLevelContactTagUpdate,
    pollMs: 10,
    targets,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  })
  worker.start()
  try {
    await expect
      .poll(async () => (await listDeliveries(s.database, s.locationId, webhookId))[0]?.state, {
        timeout: 10_000,
      })
      .toBe('dead')
  } finally {
    await worker.stop()
  }
  const [delivery] = await listDeliveries(s.database, s.locationId, webhookId)
  return delivery
}

for (const dialect of DIALECTS) {
  describe(`webhook targets inside the network on ${dialect}`, () => {
    let s: TestServer
    let receiver: WebhookReceiver
    beforeAll(async () => {
      // As production runs: internal targets refused.
      s = await startTestServer(dialect, { webhookTargets: CLOSED_WEBHOOK_TARGETS })
      receiver = await startWebhookReceiver()
    })
    afterAll(async () => {
      await receiver.close()
      await s.close()
    })

    it('are refused at registration in the dialect format', async () => {
      for (const url of [
        receiver.url,
        'http://localhost:9/x',
        'http://[::1]/x',
        'http://169.254.169.254/latest',
      ]) {
        const answer = await s.request('POST', `/locations/${s.locationId}/webhooks`, { body: { url } })
        expect(answer.status, url).toBe(422)
        expect(answer.body.message).toEqual([
          'url must point to a public address; loopback, private and link-local addresses are refused',
        ])
      }
      expect((await s.request('GET', `/locations/${s.locationId}/webhooks`)).body).toEqual({ webhooks: [] })
    })

    it('are not posted to at delivery time either (an address that changed after registration)', async () => {
      // Registered while allowed (or while its name still resolved to a public address) ...
      const hook = await registerWebhook(
        s.database,
        s.locationId,
        { url: receiver.url },
        ALLOW_INTERNAL_TARGETS,
      )
      const [contact] = await seedContacts(s.database, s.locationId, 1)
      const bulk = await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [contact], tags: ['ssrf'], locationId: s.locationId },
      })
      expect(bulk.status).toBe(201)
      // ... delivered by a worker that does not allow internal targets.
      const delivery = await deadAfterTwoTries(s, hook.id, CLOSED_WEBHOOK_TARGETS)
      expect(delivery?.last_error).toMatch(/internal address/)
      expect(receiver.receipts).toHaveLength(0)
      expect(receiver.seen.ok).toBe(0)
    })

    it('are not reached through a redirect: a 3xx answer is a failed attempt, never followed', async () => {
      // An allowed endpoint that points the worker elsewhere (a receiver standing in for an
      // internal address).
      const elsewhere = await startWebhookReceiver()
      const redirecting = createServer((_request, response) => {
        response.writeHead(302, { location: elsewhere.url }).end()
      })
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
      const { port } = redirecting.address() as { port: number }
      try {
        const hook = await registerWebhook(
          s.database,
          s.locationId,
          { url: `http://127.0.0.1:${port}/hook` },
          ALLOW_INTERNAL_TARGETS,
        )
        const [contact] = await seedContacts(s.database, s.locationId, 1)
        const bulk = await s.request('POST', '/contacts/bulk/tags/update/add', {
          body: { contacts: [contact], tags: ['moved'], locationId: s.locationId },
        })
        expect(bulk.status).toBe(201)
        const delivery = await deadAfterTwoTries(s, hook.id, ALLOW_INTERNAL_TARGETS)
        expect(delivery).toMatchObject({ last_status: 302, last_error: 'HTTP 302', attempts: 2 })
        expect(elsewhere.receipts).toHaveLength(0)
      } finally {
        await new Promise((resolve) => redirecting.close(resolve))
        await elsewhere.close()
      }
    })
  })
}
