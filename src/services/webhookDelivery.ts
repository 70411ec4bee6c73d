import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import { groupBy } from '../domain/collections.js'
import {
  deliveryWebhookId,
  retryDelayMs,
  tagsAfterEvent,
  type WebhookRetryPolicy,
} from '../domain/webhooks.js'
import { type ContactRow, findContactsByIds } from '../store/contacts.js'
import { listTagsOfContacts } from '../store/contactTags.js'
import type { Database } from '../store/database.js'
import { findEventTypesByIds, listEventsAfterEach, tagChangeOf } from '../store/events.js'
import {
  finishDelivered,
  finishDeliveredOnHealthyEndpoint,
  finishFailedAttempt,
  type WebhookDeliveryRow,
} from '../store/webhookDeliveries.js'
import { findWebhook, recordEndpointFailure, recordEndpointSuccess } from '../store/webhooks.js'
import { PLAIN_SIGNING_KEY, type SigningKeySource } from './signingKeySecrets.js'
import { webhookSigningKey } from './webhooks.js'

export const SIGNATURE_HEADER = 'x-ghl-signature'

/**
 * Words one delivery's payload: the contact, its tags right after the event, and the delivery's
 * ids. Each dialect that registers webhooks owns its wire shape (HighLevel's ContactTagUpdate:
 * http/highlevel/webhookPayload.ts); the process that delivers is given it.
 */
export type WebhookPayloadBuilder = (
  contact: ContactRow,
  tags: readonly string[],
  delivery: { type: string; appId: string; webhookId: string; timestamp: string },
) => Record<string, unknown>

/**
 * A delivery ready to send, or (`failure`) one whose payload cannot be built from its stored
 * rows: that counts as a failed attempt, so bad data ends in a dead delivery after the bounded
 * tries instead of failing the whole group forever.
 */
export type PreparedDelivery = { delivery: WebhookDeliveryRow; url: string; body: string; failure?: string }

/**
 * The requests for deliveries leased together (one webhook's): each the ContactTagUpdate payload
 * of its event, showing the contact's tags as they were right after that event (later changes are
 * reverted from the event log), so a receiver processing deliveries in order sees each state the
 * contact went through. Read with one query per table for the whole group. Deliveries whose
 * webhook, event or contact is gone are left out.
 */
export async function prepareDeliveries(
  database: Database,
  deliveries: readonly WebhookDeliveryRow[],
  now: string,
  payloadFor: WebhookPayloadBuilder,
): Promise<PreparedDelivery[]> {
  const [first] = deliveries
  if (!first) return []
  const locationId = first.location_id
  const webhook = await findWebhook(database, locationId, first.webhook_id)
  if (!webhook) return []
  const contactIds = [...new Set(deliveries.map((d) => d.contact_id))]
  const events = new Map(
    (
      await findEventTypesByIds(
        database,
        locationId,
        deliveries.map((d) => d.event_id),
      )
    ).map((e) => [e.id, e]),
  )
  const contacts = new Map((await findContactsByIds(database, locationId, contactIds)).map((c) => [c.id, c]))
  const currentTags = groupBy(
    await listTagsOfContacts(database, locationId, contactIds),
    (row) => row.contact_id,
    (row) => row.name,
  )
  const laterByContact = groupBy(
    await listEventsAfterEach(
      database,
      locationId,
      deliveries.map((d) => ({ contact_id: d.contact_id, id: d.event_id })),
    ),
    (event) => event.contact_id,
  )

  const prepared: PreparedDelivery[] = []
  for (const delivery of deliveries) {
    const event = events.get(delivery.event_id)
    const contact = contacts.get(delivery.contact_id)
    if (!event || !contact) continue
    try {
      const later = (laterByContact.get(contact.id) ?? [])
        .filter((e) => e.id > event.id)
        .sort((a, b) => b.id - a.id)
        .map(tagChangeOf)
      const payload = payloadFor(contact, tagsAfterEvent(currentTags.get(contact.id) ?? [], later), {
        type: event.type,
        appId: webhook.app_id,
        webhookId: deliveryWebhookId(webhook.id, event.id),
        timestamp: now,
      })
      prepared.push({ delivery, url: webhook.url, body: JSON.stringify(payload) })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      prepared.push({
        delivery,
        url: webhook.url,
        body: '',
        failure: `payload could not be built: ${reason.slice(0, 200)}`,
      })
    }
  }
  return prepared
}

/** Signs a body (its exact bytes) with the instance key: an Ed25519 signature in base64. */
export type WebhookSigner = (body: string) => Promise<string>

/**
 * The instance key's signer. Each signature is made on libuv's thread pool (crypto.sign with a
 * callback), not on the event loop: at ~30-70 µs a delivery, signing was the largest single cost
 * of the sending thread, which meanwhile reads, builds and records the next deliveries.
 */
export async function webhookSigner(
  database: Database,
  source: SigningKeySource = PLAIN_SIGNING_KEY,
): Promise<WebhookSigner> {
  const key: KeyObject = createPrivateKey((await webhookSigningKey(database, source)).privateKeyPem)
  return (body) =>
    new Promise((resolve, reject) =>
      sign(null, Buffer.from(body, 'utf8'), key, (error, signature) =>
        error ? reject(error) : resolve(signature.toString('base64')),
      ),
    )
}

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string }

export type AttemptResult = 'delivered' | 'retry' | 'dead' | 'lost'

/**
 * Records how the attempts of one leased group went, in one transaction with the endpoint's
 * health: delivered (one statement for all of them); or back in the queue after a jittered
 * exponential wait; or dead once the tries are used up. The endpoint's failures in a row grow by
 * the group's failures, and any success resets them. Nothing is recorded for a delivery whose
 * lease ran out meanwhile ('lost': it was taken over).
 */
export async function recordAttempts(
  database: Database,
  owner: string,
  attempts: ReadonlyArray<{ delivery: WebhookDeliveryRow; outcome: AttemptOutcome }>,
  policy: WebhookRetryPolicy,
  nowMs = Date.now(),
): Promise<AttemptResult[]> {
  const [first] = attempts
  if (!first) return []
  const now = new Date(nowMs).toISOString()
  const endpoint = { location_id: first.delivery.location_id, webhook_id: first.delivery.webhook_id }
  const statuses = new Set(attempts.map((a) => (a.outcome.ok ? a.outcome.status : null)))
  const [status] = statuses
  if (statuses.size === 1 && typeof status === 'number') {
    // Every attempt was answered alike with 2xx (the usual round): one write.
    const recorded = new Set(
      await finishDeliveredOnHealthyEndpoint(
        database,
        endpoint,
        attempts.map((a) => a.delivery.event_id),
        owner,
        { status, now },
      ),
    )
    return attempts.map((a) => (recorded.has(a.delivery.event_id) ? 'delivered' : 'lost'))
  }
  return database.transaction(async (tx) => {
    const results = new Map<WebhookDeliveryRow, AttemptResult>()
    const delivered = attempts.filter((a) => a.outcome.ok)
    const byStatus = groupBy(
      delivered,
      (a) => a.outcome.status as number,
      (a) => a.delivery.event_id,
    )
    const recordedIds = new Set<number>()
    for (const [status, eventIds] of byStatus)
      for (const id of await finishDelivered(tx, endpoint, eventIds, owner, { status, now }))
        recordedIds.add(id)
    for (const { delivery } of delivered)
      results.set(delivery, recordedIds.has(delivery.event_id) ? 'delivered' : 'lost')

    let failures = 0
    let lastError = ''
    for (const { delivery, outcome } of attempts) {
      if (outcome.ok) continue
      lastError = outcome.error
      const dead = delivery.attempts >= policy.maxAttempts
      const retryAt = dead ? null : new Date(nowMs + retryDelayMs(delivery.attempts, policy)).toISOString()
      const recorded = await finishFailedAttempt(tx, delivery, owner, {
        status: outcome.status,
        error: outcome.error,
        retryAt,
        now,
      })
      results.set(delivery, recorded ? (dead ? 'dead' : 'retry') : 'lost')
      if (recorded) failures += 1
    }
    if (recordedIds.size > 0) await recordEndpointSuccess(tx, endpoint.location_id, endpoint.webhook_id)
    else if (failures > 0)
      // The pause grows with the failed rounds (a round fails up to `failures` deliveries at once).
      await recordEndpointFailure(
        tx,
        endpoint.location_id,
        endpoint.webhook_id,
        failures,
        { message: lastError, at: now },
        (inARow) => new Date(nowMs + retryDelayMs(Math.ceil(inARow / failures), policy)).toISOString(),
      )
    return attempts.map((a) => results.get(a.delivery) as AttemptResult)
  })
}
