import { BIRTH_DATE_FORMATS, parseBirthDate } from '../../domain/birthDates.js'
import type { ContactFields } from '../../domain/contacts.js'
import type { ContactInput, ContactView } from '../../services/contacts.js'
import type { TagRow } from '../../store/tags.js'
import { unprocessable } from './errors.js'

const EXTRA_FIELDS = ['gender', 'dndSettings', 'inboundDndSettings', 'customFields'] as const

type HighLevelContactBody = Partial<Record<keyof ContactFields | (typeof EXTRA_FIELDS)[number], unknown>> & {
  tags?: string[]
}

/** The birth date as stored; a value that is no date in HighLevel's formats is a 422. */
function birthDateOf(raw: unknown): string | null | undefined {
  if (raw === undefined || raw === null) return raw
  const parsed = parseBirthDate(String(raw))
  if (parsed === null) throw unprocessable([`dateOfBirth must be a date as ${BIRTH_DATE_FORMATS}`])
  return parsed
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
    dateOfBirth: birthDateOf(body.dateOfBirth),
    assignedTo: pick('assignedTo'),
    dnd: body.dnd as boolean | undefined,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    ...(body.tags !== undefined ? { tags: body.tags } : {}),
  }
}

/** A contact as HighLevel shows it: absent fields are left out, tags and customFields always present. */
export function presentContact(contact: ContactView): Record<string, unknown> {
  const extra = contact.extra
  // One stored before birth dates were normalised is shown as stored when it does not read as one.
  const birthDate = contact.date_of_birth === null ? null : parseBirthDate(contact.date_of_birth)
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
    dateOfBirth: birthDate ?? contact.date_of_birth,
    ...birthParts(birthDate),
    assignedTo: contact.assigned_to,
    dnd: contact.dnd === 1,
    deleted: contact.deleted_at !== null,
    // Tagbase records no bounces; unsubscribed (Constant Contact's opt-out) is the email opt-out.
    bounceEmail: false,
    unsubscribeEmail: contact.unsubscribed_at !== null,
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

/** birthMonth and birthDay, as HighLevel adds them beside dateOfBirth. */
function birthParts(birthDate: string | null): { birthMonth?: number; birthDay?: number } {
  if (birthDate === null) return {}
  return { birthMonth: Number(birthDate.slice(5, 7)), birthDay: Number(birthDate.slice(8, 10)) }
}

export function presentTag(tag: TagRow) {
  return { id: tag.id, name: tag.name, locationId: tag.location_id }
}
