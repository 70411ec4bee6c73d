import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import {
  contactTagUpdatePayload,
  deliveryWebhookId,
  retryDelayMs,
  tagsAfterEvent,
  type WebhookRetryPolicy,
} from '../domain/webhooks.js'
import { findContact } from '../store/contacts.js'
import { listTagsOfContacts } from '../store/contactTags.js'
import type { Database } from '../store/database.js'
import { findEvent, listContactEventsAfter } from '../store/events.js'
import { markAttemptFailed, markDelivered, type WebhookDeliveryRow } from '../store/webhookDeliveries.js'
import { findWebhook, recordEndpointFailure, recordEndpointSuccess } from '../store/webhooks.js'
import { webhookSigningKey } from './webhooks.js'

export const SIGNATURE_HEADER = 'x-ghl-signature'

export type PreparedDelivery = { url: string; body: string }

/**
 * The request for one delivery: the ContactTagUpdate payload of its event, showing the contact's
 * tags as they were right after that event (later changes are reverted from the event log), so a
 * receiver processing deliveries in order sees each state the contact went through. Undefined
 * when the webhook was removed meanwhile.
 */
export async function prepareDelivery(
  database: Database,
  delivery: WebhookDeliveryRow,
  now: string,
): Promise<PreparedDelivery | undefined> {
  const { location_id: locationId } = delivery
  const webhook = await findWebhook(database, locationId, delivery.webhook_id)
  const event = await findEvent(database, locationId, delivery.event_id)
  const contact = await findContact(database, locationId, delivery.contact_id)
  if (!webhook || !event || !contact) return undefined
  const current = (await listTagsOfContacts(database, locationId, [contact.id])).map((t) => t.name)
  const later = await listContactEventsAfter(database, locationId, contact.id, event.id)
  const tags = tagsAfter(current, later)
  const payload = contactTagUpdatePayload(contact, tags, {
    appId: webhook.app_id,
    webhookId: deliveryWebhookId(webhook.id, event.id),
    timestamp: now,
  })
  return { url: webhook.url, body: JSON.stringify(payload) }
}

function tagsAfter(
  current: string[],
  later: ReadonlyArray<{ tags_added: string; tags_removed: string }>,
): string[] {
  const changes = later.map((e) => ({
    tagsAdded: JSON.parse(e.tags_added) as string[],
    tagsRemoved: JSON.parse(e.tags_removed) as string[],
  }))
  return tagsAfterEvent(current, changes)
}

/** A signer over the exact body bytes with the instance key (Ed25519; base64 signature). */
export async function webhookSigner(database: Database): Promise<(body: string) => string> {
  const key: KeyObject = createPrivateKey((await webhookSigningKey(database)).privateKeyPem)
  return (body) => sign(null, Buffer.from(body, 'utf8'), key).toString('base64')
}

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string }

/**
 * Records how an attempt went, in one transaction with the endpoint's health: delivered; or
 * back in the queue after a jittered exponential wait; or dead once the tries are used up.
 * Nothing is recorded when the lease ran out meanwhile (the delivery was taken over).
 */
export async function recordAttempt(
  database: Database,
  delivery: WebhookDeliveryRow,
  owner: string,
  outcome: AttemptOutcome,
  policy: WebhookRetryPolicy,
  nowMs = Date.now(),
): Promise<'delivered' | 'retry' | 'dead' | 'lost'> {
  const now = new Date(nowMs).toISOString()
  return database.transaction(async (tx) => {
    if (outcome.ok) {
      if (!(await markDelivered(tx, delivery, owner, { status: outcome.status, now }))) return 'lost'
      await recordEndpointSuccess(tx, delivery.location_id, delivery.webhook_id)
      return 'delivered'
    }
    const dead = delivery.attempts >= policy.maxAttempts
    const retryAt = dead ? null : new Date(nowMs + retryDelayMs(delivery.attempts, policy)).toISOString()
    const recorded = await markAttemptFailed(tx, delivery, owner, {
      status: outcome.status,
      error: outcome.error,
      retryAt,
    })
    if (!recorded) return 'lost'
    await recordEndpointFailure(tx, delivery.location_id, delivery.webhook_id, (failures) =>
      new Date(nowMs + retryDelayMs(failures, policy)).toISOString(),
    )
    return dead ? 'dead' : 'retry'
  })
}
