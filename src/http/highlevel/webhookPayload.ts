import type { WebhookPayloadBuilder } from '../../services/webhookDelivery.js'

/**
 * HighLevel's contact webhook payload (shared/reference/highlevel/webhook-ContactTagUpdate.md;
 * ContactCreate and ContactDelete carry the same contact fields under their own `type`) plus
 * `timestamp` and `webhookId`, which receivers use against replays and duplicates, and the
 * registration's `appId`, which HighLevel's SDK middleware matches before verifying.
 * Fields the contact does not have are left out of the JSON, as HighLevel does.
 */
export const highLevelContactTagUpdate: WebhookPayloadBuilder = (contact, tags, delivery) => {
  const extra = contact.extra
  // A field the contact lacks is undefined, which JSON.stringify leaves out. Deleting the null
  // ones instead turned each payload into a dictionary-mode object: building and stringifying it
  // took 3.3-3.9 µs against 1.3-1.7 µs.
  return {
    type: delivery.type,
    locationId: contact.location_id,
    id: contact.id,
    address1: contact.address1 ?? undefined,
    city: contact.city ?? undefined,
    state: contact.state ?? undefined,
    companyName: contact.company_name ?? undefined,
    country: contact.country ?? undefined,
    source: contact.source ?? undefined,
    dateAdded: contact.created_at,
    dateOfBirth: contact.date_of_birth ?? undefined,
    dnd: contact.dnd === 1,
    email: contact.email ?? undefined,
    name: contact.name ?? undefined,
    firstName: contact.first_name ?? undefined,
    lastName: contact.last_name ?? undefined,
    phone: contact.phone ?? undefined,
    postalCode: contact.postal_code ?? undefined,
    tags: [...tags],
    website: contact.website ?? undefined,
    attachments: Array.isArray(extra.attachments) ? extra.attachments : [],
    assignedTo: contact.assigned_to ?? undefined,
    customFields: Array.isArray(extra.customFields) ? extra.customFields : [],
    appId: delivery.appId,
    timestamp: delivery.timestamp,
    webhookId: delivery.webhookId,
  }
}
