import type { WebhookPayloadBuilder } from '../../services/webhookDelivery.js'

/**
 * HighLevel's contact webhook payload (shared/reference/highlevel/webhook-ContactTagUpdate.md;
 * ContactCreate and ContactDelete carry the same contact fields under their own `type`) plus
 * `timestamp` and `webhookId`, which receivers use against replays and duplicates, and the
 * registration's `appId`, which HighLevel's SDK middleware matches before verifying.
 * Fields the contact does not have are left out, as HighLevel does.
 */
export const highLevelContactTagUpdate: WebhookPayloadBuilder = (contact, tags, delivery) => {
  const extra = contact.extra
  const payload: Record<string, unknown> = {
    type: delivery.type,
    locationId: contact.location_id,
    id: contact.id,
    address1: contact.address1,
    city: contact.city,
    state: contact.state,
    companyName: contact.company_name,
    country: contact.country,
    source: contact.source,
    dateAdded: contact.created_at,
    dateOfBirth: contact.date_of_birth,
    dnd: contact.dnd === 1,
    email: contact.email,
    name: contact.name,
    firstName: contact.first_name,
    lastName: contact.last_name,
    phone: contact.phone,
    postalCode: contact.postal_code,
    tags: [...tags],
    website: contact.website,
    attachments: Array.isArray(extra.attachments) ? extra.attachments : [],
    assignedTo: contact.assigned_to,
    customFields: Array.isArray(extra.customFields) ? extra.customFields : [],
    appId: delivery.appId,
    timestamp: delivery.timestamp,
    webhookId: delivery.webhookId,
  }
  for (const key of Object.keys(payload))
    if (payload[key] === null || payload[key] === undefined) delete payload[key]
  return payload
}
