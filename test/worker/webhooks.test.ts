import { HighLevel } from '@gohighlevel/api-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deliveryWebhookId } from '../../src/domain/webhooks.js'
import { highLevelContactTagUpdate } from '../../src/http/highlevel/webhookPayload.js'
import { webhookSigningKey } from '../../src/services/webhooks.js'
import { listEvents } from '../../src/store/events.js'
import {
  claimDueDeliveries,
  countDeliveriesByState,
  listDeliveries,
} from '../../src/store/webhookDeliveries.js'
import { WebhookDeliveryWorker, type WebhookWorkerOptions } from '../../src/worker/webhookWorker.js'
import { tagbase, tagbaseText } from '../helpers/cli.js'
import { DIALECTS } from '../helpers/databases.js'
import { ccId } from '../helpers/ids.js'
import { seedContacts } from '../helpers/seed.js'
import { finishedActivity, startTestServer, type TestServer } from '../helpers/server.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'
import {
  type Receipt,
  type ReceiverBehaviour,
  seededRandom,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhookReceiver.js'

const APP_ID = 'tagbaseTestApp'

/** Fast timings for tests: short attempt timeout, short waits, many tries. */
function testWorker(s: TestServer, overrides: Partial<WebhookWorkerOptions> = {}) {
  return new WebhookDeliveryWorker(s.database, {
    timeoutMs: 300,
    pollMs: 20,
    concurrency: 8,
    perEndpoint: 4,
    retry: { maxAttempts: 1000, baseDelayMs: 10, maxDelayMs: 150 },
    targets: ALLOW_INTERNAL_TARGETS,
    payload: highLevelContactTagUpdate,
    ...overrides,
  })
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function registerWebhook(s: TestServer, url: string, token = s.token, locationId = s.locationId) {
  const { status, body } = await s.request('POST', `/locations/${locationId}/webhooks`, {
    body: { url, appId: APP_ID },
    token,
  })
  expect(status).toBe(201)
  return body.webhook as { id: string; url: string; appId: string }
}

async function bulk(s: TestServer, type: 'add' | 'remove', contacts: string[], tags: string[]) {
  const { status, body } = await s.request('POST', `/contacts/bulk/tags/update/${type}`, {
    body: { contacts, tags, locationId: s.locationId },
  })
  expect(status).toBe(201)
  expect(body.errorCount).toBe(0)
}

function settled(s: TestServer, webhookId: string, locationId = s.locationId) {
  return async () => {
    const counts = await countDeliveriesByState(s.database, locationId, webhookId)
    return counts.pending === 0 && counts.delivering === 0
  }
}

for (const dialect of DIALECTS) {
  describe(`webhook delivery on ${dialect}`, () => {
    let s: TestServer
    let receiver: WebhookReceiver
    const workers: WebhookDeliveryWorker[] = []
    beforeEach(async () => {
      s = await startTestServer(dialect, { chunkSize: 7 })
      receiver = await startWebhookReceiver()
    })
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()))
      await receiver.close()
      await s.close()
    })

    it('delivers every event through 500s, timeouts and resets: none lost, in order per contact, duplicates only after ambiguous failures', async () => {
      const webhook = await registerWebhook(s, receiver.url)
      const contacts = await seedContacts(s.database, s.locationId, 30)
      await bulk(s, 'add', contacts, ['alpha'])
      await bulk(s, 'add', contacts.slice(0, 15), ['beta'])
      await bulk(s, 'remove', contacts.slice(0, 10), ['alpha'])
      const tag = await s.request('POST', '/v3/contact_tags', { body: { name: 'gamma' }, version: null })
      const activity = await s.request('POST', '/v3/activities/contacts_taggings_add', {
        body: { source: { contact_ids: contacts.map(ccId) }, tag_ids: [tag.body.tag_id] },
        version: null,
      })
      expect((await finishedActivity(s, activity.body.activity_id)).state).toBe('completed')
      const events = await listEvents(s.database, s.locationId)
      expect(events).toHaveLength(30 + 15 + 10 + 30)

      const random = seededRandom(20261122)
      const mix: Array<[ReceiverBehaviour, number]> = [
        ['error500', 0.15],
        ['timeout', 0.1],
        ['resetAfterRead', 0.1],
        ['resetBeforeRead', 0.1],
      ]
      receiver.setBehaviour(() => {
        let roll = random()
        for (const [behaviour, share] of mix) {
          if (roll < share) return behaviour
          roll -= share
        }
        return 'ok'
      })
      // Two workers share the queue, as two processes would.
      workers.push(testWorker(s), testWorker(s))
      for (const worker of workers) worker.start()
      await until(settled(s, webhook.id), 'every delivery to settle')

      const counts = await countDeliveriesByState(s.database, s.locationId, webhook.id)
      expect(counts).toEqual({ pending: 0, delivering: 0, delivered: events.length, dead: 0 })
      // Every failure kind was exercised.
      for (const [behaviour] of mix) expect(receiver.seen[behaviour], behaviour).toBeGreaterThan(0)

      const processedById = new Map<string, Receipt[]>()
      for (const receipt of receiver.receipts.filter((r) => r.processed)) {
        const list = processedById.get(receipt.body.webhookId) ?? []
        list.push(receipt)
        processedById.set(receipt.body.webhookId, list)
      }
      const eventByDeliveryId = new Map(events.map((e) => [deliveryWebhookId(webhook.id, e.id), e]))
      // None lost: every event was processed by the receiver at least once, and acknowledged.
      for (const event of events) {
        const receipts = processedById.get(deliveryWebhookId(webhook.id, event.id)) ?? []
        expect(receipts.length, `event ${event.id}`).toBeGreaterThan(0)
        expect(receipts.at(-1)?.behaviour).toBe('ok')
        // Duplicates only where a retry followed an ambiguous failure.
        for (const earlier of receipts.slice(0, -1)) expect(earlier.ambiguous).toBe(true)
      }
      expect([...processedById.keys()].every((id) => eventByDeliveryId.has(id))).toBe(true)

      // In order per contact: the events a contact's receipts name never go backwards.
      const byContact = new Map<string, number[]>()
      for (const receipt of receiver.receipts.filter((r) => r.processed)) {
        const event = eventByDeliveryId.get(receipt.body.webhookId)
        if (!event) continue
        const list = byContact.get(event.contact_id) ?? []
        list.push(event.id)
        byContact.set(event.contact_id, list)
      }
      for (const [contactId, sequence] of byContact)
        expect(sequence, contactId).toEqual([...sequence].sort((a, b) => a - b))

      // Each payload shows the tags as they were right after its event.
      const first = contacts[0] as string
      const tagsSeen = (byContact.get(first) ?? [])
        .filter((id, i, all) => all.indexOf(id) === i)
        .map((id) => {
          const receipt = (processedById.get(deliveryWebhookId(webhook.id, id)) ?? []).at(-1) as Receipt
          return receipt.body.tags
        })
      expect(tagsSeen).toEqual([['alpha'], ['alpha', 'beta'], ['beta'], ['beta', 'gamma']])
      const sample = (processedById.get(deliveryWebhookId(webhook.id, events[0]?.id as number)) ?? [])[0]
      expect(sample?.body).toMatchObject({
        type: 'ContactTagUpdate',
        locationId: s.locationId,
        id: events[0]?.contact_id,
        appId: APP_ID,
        dnd: false,
        webhookId: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        timestamp: expect.stringMatching(/Z$/),
      })
      expect(sample?.headers['content-type']).toBe('application/json')
    })

    it('signs with Ed25519 so the official SDK webhook middleware verifies, and rejects a tampered body', async () => {
      await registerWebhook(s, receiver.url)
      const [contact] = await seedContacts(s.database, s.locationId, 1)
      await bulk(s, 'add', [contact as string], ['signed'])
      workers.push(testWorker(s))
      workers[0]?.start()
      await until(async () => receiver.receipts.length > 0, 'a delivery')

      const printed = await tagbaseText(s, 'webhook', 'public-key')
      expect(printed).toBe((await webhookSigningKey(s.database)).publicKeyPem)
      expect(printed).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/)

      const ghl = new HighLevel({
        privateIntegrationToken: 'unused',
        clientId: `${APP_ID}-sdkclient`,
        webhookPublicKey: printed,
        logLevel: 'none',
      })
      const middleware = ghl.webhooks.subscribe()
      const receipt = receiver.receipts[0] as Receipt
      const verified: Record<string, unknown> = {
        headers: receipt.headers,
        body: JSON.parse(receipt.rawBody),
        rawBody: Buffer.from(receipt.rawBody),
      }
      await middleware(verified as never, {}, () => {})
      expect(verified.skippedSignatureVerification).toBe(false)
      expect(verified.isSignatureValid).toBe(true)

      const tamperedBody = receipt.rawBody.replace('signed', 'forged')
      const tampered: Record<string, unknown> = {
        headers: receipt.headers,
        body: JSON.parse(tamperedBody),
        rawBody: Buffer.from(tamperedBody),
      }
      await middleware(tampered as never, {}, () => {})
      expect(tampered.isSignatureValid).toBe(false)
    })

    it('parks deliveries as dead after bounded tries, re-drives them, and never lets a hanging endpoint hold up another location', async () => {
      const dead = await registerWebhook(s, receiver.url)
      // Every attempt hangs until the sender's timeout: the slowest way to fail.
      receiver.setBehaviour(() => 'timeout')
      const healthy = await startWebhookReceiver()
      try {
        const otherHook = await registerWebhook(s, healthy.url, s.other.token, s.other.locationId)
        const mine = await seedContacts(s.database, s.locationId, 20)
        const theirs = await seedContacts(s.database, s.other.locationId, 20)
        await bulk(s, 'add', mine, ['x'])
        const theirBulk = await s.request('POST', '/contacts/bulk/tags/update/add', {
          body: { contacts: theirs, tags: ['y'], locationId: s.other.locationId },
          token: s.other.token,
        })
        expect(theirBulk.status).toBe(201)

        workers.push(testWorker(s, { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 } }))
        workers[0]?.start()
        await until(settled(s, otherHook.id, s.other.locationId), "the other location's deliveries")
        expect(await countDeliveriesByState(s.database, s.other.locationId, otherHook.id)).toMatchObject({
          delivered: 20,
        })
        expect(healthy.receipts).toHaveLength(20)

        await until(settled(s, dead.id), 'every delivery to a failing endpoint to be parked')
        expect(await countDeliveriesByState(s.database, s.locationId, dead.id)).toEqual({
          pending: 0,
          delivering: 0,
          delivered: 0,
          dead: 20,
        })
        // Each delivery was tried exactly three times.
        const listed = await s.request('GET', `/locations/${s.locationId}/webhooks`)
        expect(listed.body.webhooks[0]).toMatchObject({
          id: dead.id,
          deliveries: { dead: 20 },
          consecutiveFailures: 60,
        })

        expect(receiver.seen.timeout).toBe(60)
        const parked = await listDeliveries(s.database, s.locationId, dead.id)
        expect(new Set(parked.map((d) => [d.last_status, d.last_error].join(' ')))).toEqual(
          new Set([' timed out']),
        )
        // Dead is closed: out of the queue's open indexes until redriven.
        expect(parked.filter((d) => d.closed_at === null)).toEqual([])
        receiver.setBehaviour(() => 'ok')
        const redriven = await s.request('POST', `/locations/${s.locationId}/webhooks/${dead.id}/redrive`)
        expect(redriven).toEqual({ status: 200, body: { redriven: 20 } })
        await until(settled(s, dead.id), 're-driven deliveries')
        expect(await countDeliveriesByState(s.database, s.locationId, dead.id)).toMatchObject({
          delivered: 20,
        })
        expect(receiver.receipts.filter((r) => r.behaviour === 'ok')).toHaveLength(20)
        const delivered = await listDeliveries(s.database, s.locationId, dead.id)
        expect(delivered.filter((d) => d.closed_at === null || d.closed_at !== d.delivered_at)).toEqual([])
      } finally {
        await healthy.close()
      }
    })

    it('sends ContactCreate and ContactDelete to the webhooks that ask for them, in order with the tag updates', async () => {
      const everything = await startWebhookReceiver()
      try {
        const tagsOnly = await registerWebhook(s, receiver.url)
        const lifecycle = await s.request('POST', `/locations/${s.locationId}/webhooks`, {
          body: { url: everything.url, appId: APP_ID, events: ['ContactDelete', 'ContactCreate'] },
        })
        expect(lifecycle.status).toBe(201)
        expect(lifecycle.body.webhook.events).toEqual(['ContactTagUpdate', 'ContactCreate', 'ContactDelete'])
        const created = await s.request('POST', '/contacts/', {
          body: { locationId: s.locationId, email: 'life@example.com', tags: ['vip'] },
        })
        const contactId = created.body.contact.id as string
        expect((await s.request('DELETE', `/contacts/${contactId}`)).status).toBe(200)
        const worker = testWorker(s)
        workers.push(worker)
        worker.start()
        await until(settled(s, tagsOnly.id), 'tag-only deliveries')
        await until(settled(s, lifecycle.body.webhook.id), 'lifecycle deliveries')
        const seen = (at: WebhookReceiver) =>
          at.receipts
            .filter((r) => r.processed)
            .map((r) => ({ type: r.body.type, id: r.body.id, tags: r.body.tags }))
        expect(seen(receiver)).toEqual([{ type: 'ContactTagUpdate', id: contactId, tags: ['vip'] }])
        expect(seen(everything)).toEqual([
          { type: 'ContactCreate', id: contactId, tags: [] },
          { type: 'ContactTagUpdate', id: contactId, tags: ['vip'] },
          { type: 'ContactDelete', id: contactId, tags: ['vip'] },
        ])
        const refused = await s.request('POST', `/locations/${s.locationId}/webhooks`, {
          body: { url: receiver.url, events: ['ContactUpdate'] },
        })
        expect(refused.status).toBe(422)
      } finally {
        await everything.close()
      }
    })

    it('manages registrations per location: validation, isolation, removal drops owed deliveries', async () => {
      const invalid = await s.request('POST', `/locations/${s.locationId}/webhooks`, {
        body: { url: 'ftp://x' },
      })
      expect(invalid).toEqual({
        status: 422,
        body: {
          statusCode: 422,
          message: ['url must be an absolute http or https URL'],
          error: 'Unprocessable Entity',
        },
      })
      const foreign = await s.request('POST', `/locations/${s.other.locationId}/webhooks`, {
        body: { url: receiver.url },
      })
      expect(foreign.status).toBe(403)
      const hook = await registerWebhook(s, receiver.url)
      const [contact] = await seedContacts(s.database, s.locationId, 1)
      await bulk(s, 'add', [contact as string], ['owed'])
      expect((await countDeliveriesByState(s.database, s.locationId, hook.id)).pending).toBe(1)
      const otherList = await s.request('GET', `/locations/${s.other.locationId}/webhooks`, {
        token: s.other.token,
      })
      expect(otherList.body).toEqual({ webhooks: [] })
      expect(await s.request('DELETE', `/locations/${s.locationId}/webhooks/${hook.id}`)).toEqual({
        status: 200,
        body: { succeded: true },
      })
      expect((await countDeliveriesByState(s.database, s.locationId, hook.id)).pending).toBe(0)
      const again = await s.request('DELETE', `/locations/${s.locationId}/webhooks/${hook.id}`)
      expect(again.status).toBe(404)

      const added = await tagbase(s, 'webhook', 'add', '--location', s.locationId, '--url', receiver.url)
      expect(added).toMatchObject({ locationId: s.locationId, url: receiver.url, appId: added.id })
      const listed = await s.request('GET', `/locations/${s.locationId}/webhooks`)
      expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toEqual([added.id])
    })

    it('sends a delivery again once the lease of a worker that died holding it has expired', async () => {
      const hook = await registerWebhook(s, receiver.url)
      const [contact] = await seedContacts(s.database, s.locationId, 1)
      await bulk(s, 'add', [contact as string], ['leased'])
      const now = Date.now()
      const taken = await s.database.transaction((tx) =>
        claimDueDeliveries(
          tx,
          { location_id: s.locationId, webhook_id: hook.id },
          {
            owner: 'crashed',
            now: new Date(now).toISOString(),
            expiresAt: new Date(now + 400).toISOString(),
          },
          10,
        ),
      )
      expect(taken).toHaveLength(1)
      workers.push(testWorker(s))
      workers[0]?.start()
      await until(settled(s, hook.id), 'the taken-over delivery')
      expect(receiver.receipts).toHaveLength(1)
      const [row] = await listDeliveries(s.database, s.locationId, hook.id)
      expect(row).toMatchObject({ state: 'delivered', attempts: 2, lease_owner: null })
    })

    it('keeps each endpoint within its concurrency across workers, though each lease holds many waves', async () => {
      const slow = await startWebhookReceiver({ answerDelayMs: 15 })
      try {
        const hook = await registerWebhook(s, slow.url)
        const contacts = await seedContacts(s.database, s.locationId, 200)
        await bulk(s, 'add', contacts, ['waves'])
        // Attempts never time out here (the point is concurrency), however loaded the machine.
        workers.push(testWorker(s, { timeoutMs: 5000 }), testWorker(s, { timeoutMs: 5000 }))
        for (const worker of workers) worker.start()
        await until(settled(s, hook.id), 'every delivery')
        expect(await countDeliveriesByState(s.database, s.locationId, hook.id)).toMatchObject({
          delivered: 200,
        })
        expect(slow.receipts).toHaveLength(200)
        expect(slow.peakInFlight()).toBeLessThanOrEqual(4)
        // Every delivery was claimed once: none was leased and given back.
        const rows = await listDeliveries(s.database, s.locationId, hook.id)
        expect(rows.every((row) => row.attempts === 1)).toBe(true)
      } finally {
        await slow.close()
      }
    })

    it('ends a turn at its first failed wave: the rest, the next lease too, go back untried and the endpoint is paused', async () => {
      const hook = await registerWebhook(s, receiver.url)
      // More than one lease (4 lanes × 32 waves), so the next lease is claimed while the first is sent.
      const contacts = await seedContacts(s.database, s.locationId, 300)
      await bulk(s, 'add', contacts, ['failing'])
      receiver.setBehaviour(() => 'error500')
      // A long attempt timeout, so however loaded the machine, the lease covers the first wave.
      const worker = testWorker(s, {
        timeoutMs: 5000,
        retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      })
      expect(await worker.dispatchDue()).toBe(4)
      await worker.drain()
      expect(receiver.seen.error500).toBe(4)
      const rows = await listDeliveries(s.database, s.locationId, hook.id)
      expect(rows.filter((row) => row.attempts === 1)).toHaveLength(4)
      const untried = rows.filter(
        (row) => row.attempts === 0 && row.state === 'pending' && row.lease_owner === null,
      )
      expect(untried).toHaveLength(296)
      // Paused: the next look leases nothing.
      expect(await worker.dispatchDue()).toBe(0)
    })

    it('lets an endpoint alone keep its turn past its share of leases, and ends the turn there when another is due', async () => {
      // 2 lanes: a lease is 2 × 32 = 64 deliveries, a turn's share 4 leases, 256. A long attempt
      // timeout, so however loaded the machine, each lease has time for all its waves.
      const worker = testWorker(s, { concurrency: 2, perEndpoint: 2, timeoutMs: 5000 })
      const hook = await registerWebhook(s, receiver.url)
      await bulk(s, 'add', await seedContacts(s.database, s.locationId, 400), ['alone'])
      expect(await worker.dispatchDue()).toBe(2)
      await worker.drain()
      expect(receiver.receipts).toHaveLength(400)
      expect(await countDeliveriesByState(s.database, s.locationId, hook.id)).toMatchObject({
        delivered: 400,
      })

      const other = await startWebhookReceiver()
      try {
        await registerWebhook(s, other.url)
        await bulk(s, 'add', await seedContacts(s.database, s.locationId, 400), ['shared'])
        // The one turn the worker's 2 slots allow goes to one of the two endpoints, for its share.
        expect(await worker.dispatchDue()).toBe(2)
        await worker.drain()
        expect([receiver.receipts.length - 400, other.receipts.length].sort((a, b) => a - b)).toEqual([
          0, 256,
        ])
      } finally {
        await other.close()
      }
    })

    it('gives a slow endpoint fewer waves per lease, so the lease covers every attempt it starts', async () => {
      const slow = await startWebhookReceiver({ answerDelayMs: 500 })
      try {
        const hook = await registerWebhook(s, slow.url)
        const contacts = await seedContacts(s.database, s.locationId, 64)
        await bulk(s, 'add', contacts, ['slow'])
        // 1 s attempts: the lease (two attempts and the recording margin) has room for the waves
        // that start within the first attempt's time, two or three of 500 ms.
        const worker = testWorker(s, { timeoutMs: 1000 })
        expect(await worker.dispatchDue()).toBe(4)
        await worker.drain()
        const rows = await listDeliveries(s.database, s.locationId, hook.id)
        const sent = rows.filter((row) => row.state === 'delivered')
        expect(sent.length).toBe(slow.receipts.length)
        expect(sent.length).toBeGreaterThanOrEqual(4)
        expect(sent.length).toBeLessThanOrEqual(12)
        expect(rows.filter((row) => row.state === 'pending' && row.attempts === 0)).toHaveLength(
          64 - sent.length,
        )
      } finally {
        await slow.close()
      }
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`webhook delivery retention on ${dialect}`, () => {
    it('prunes successful deliveries past the retention and keeps dead ones', async () => {
      const s = await startTestServer(dialect)
      const receiver = await startWebhookReceiver()
      try {
        const hook = await registerWebhook(s, receiver.url)
        const contacts = await seedContacts(s.database, s.locationId, 3)
        await bulk(s, 'add', contacts, ['kept'])
        const worker = testWorker(s, { retentionMs: 60_000 })
        worker.start()
        await until(settled(s, hook.id), 'deliveries')
        await worker.stop()
        // Age two of them past the retention and park the third as dead, also aged.
        const rows = await listDeliveries(s.database, s.locationId, hook.id)
        const old = new Date(Date.now() - 120_000).toISOString()
        await s.database.kysely
          .updateTable('webhook_deliveries')
          .set({ delivered_at: old })
          .where(
            'event_id',
            'in',
            rows.map((r) => r.event_id),
          )
          .execute()
        await s.database.kysely
          .updateTable('webhook_deliveries')
          .set({ state: 'dead' })
          .where('event_id', '=', rows[2]?.event_id as number)
          .execute()
        const pruning = testWorker(s, { retentionMs: 60_000 })
        pruning.start()
        await until(
          async () => (await listDeliveries(s.database, s.locationId, hook.id)).length === 1,
          'pruning',
        )
        await pruning.stop()
        expect((await listDeliveries(s.database, s.locationId, hook.id))[0]?.state).toBe('dead')
      } finally {
        await receiver.close()
        await s.close()
      }
    })
  })
}
