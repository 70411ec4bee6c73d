import type { ContactFields } from '../../domain/contacts.js'
import type { ContactInput, ContactView } from '../../services/contacts.js'
import type { TagRow } from '../../store/tags.js'

const EXTRA_FIELDS = ['gender', 'dndSettings', 'inboundDndSettings', 'customFields'] as const

type HighLevelContactBody = Partial<Record<keyof ContactFields | (typeof EXTRA_FIELDS)[number], unknown>> & {
  tags?: string[]
}

/** HighLevel request fields → the dialect-neutral contact input. */
export function contactInputFrom(body: HighLevelContactBody): ContactInput {
  const extra: Record<string, unknown> = {}
  for (const field of EXTRA_FIELDS) if (body[field] !== undefined) extra[field] = body[field]
  const pick = (key: keyof ContactFields) => body[key] as string | null | undefined
  return {
    firstName: pick('firstName'),
    lastName: pick('lastName'),
    name: pick('name'),
    email: pick('email'),
    phone: pick('phone'),
    companyName: pick('companyName'),
    address1: pick('address1'),
    city: pick('city'),
    state: pick('state'),
    postalCode: pick('postalCode'),
    country: pick('country'),
    website: pick('website'),
    timezone: pick('timezone'),
    source: pick('source'),
    dateOfBirth: pick('dateOfBirth'),
    assignedTo: pick('assignedTo'),
    dnd: body.dnd as boolean | undefined,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    ...(body.tags !== undefined ? { tags: body.tags } : {}),
  }
}

/** A contact as HighLevel shows it: absent fields are left out, tags and customFields always present. */
export function presentContact(contact: ContactView): Record<string, unknown> {
  const extra = contact.extra
  const body: Record<string, unknown> = {
    id: contact.id,
    locationId: contact.location_id,
    firstName: contact.first_name,
    lastName: contact.last_name,
    contactName: contact.name,
    name: contact.name,
    firstNameLowerCase: contact.first_name?.toLowerCase(),
    lastNameLowerCase: contact.last_name?.toLowerCase(),
    fullNameLowerCase: contact.name?.toLowerCase(),
    email: contact.email,
    emailLowerCase: contact.email_lower,
    phone: contact.phone,
    companyName: contact.company_name,
    address1: contact.address1,
    city: contact.city,
    state: contact.state,
    postalCode: contact.postal_code,
    country: contact.country,
    website: contact.website,
    timezone: contact.timezone,
    source: contact.source,
    dateOfBirth: contact.date_of_birth,
    assignedTo: contact.assigned_to,
    dnd: contact.dnd === 1,
    type: 'lead',
    tags: contact.tags,
    ...extra,
    customFields: extra.customFields ?? [],
    dateAdded: contact.created_at,
    dateUpdated: contact.updated_at,
  }
  for (const key of Object.keys(body)) if (body[key] === null || body[key] === undefined) delete body[key]
  return body
}

export function presentTag(tag: TagRow) {
  return { id: tag.id, name: tag.name, locationId: tag.location_id }
}
