import { groupBy } from '../domain/collections.js'
import {
  type AppliedTagChange,
  type ContactFields,
  contactSearchText,
  displayName,
  isFirebaseId,
  newFirebaseId,
  normalizeEmail,
  normalizeTagList,
  sortTagNames,
  tagsAfter,
} from '../domain/index.js'
import { normalizePhone } from '../domain/phones.js'
import {
  type ConsentCounts,
  type ContactFilter,
  type ContactPatch,
  type ContactRow,
  countContactsByConsent,
  countContactsFiltered,
  countLiveContacts,
  findContact,
  findContactHomes,
  findLiveContactByEmail,
  findLiveContactByPhone,
  insertContact,
  type KeysetPage,
  listContactsFiltered,
  listLiveContacts,
  lockAndReadLiveContacts,
  type NewContactRow,
  softDeleteContact,
  updateContact as updateContactRow,
} from '../store/contacts.js'
import { listTagsOfContacts } from '../store/contactTags.js'
import type { Database, Db } from '../store/database.js'
import { recordContactLifecycle } from '../store/events.js'
import { findListsByIds, listIdsOfContacts, replaceContactLists } from '../store/lists.js'
import { findPhoneCountry } from '../store/locations.js'
import { findTagsByIds } from '../store/tags.js'
import { ServiceError } from './errors.js'
import { applyTagEdit } from './tagEdits.js'

export type ContactView = ContactRow & { tags: string[] }

export type ContactInput = ContactFields & {
  /** Tag names; replace the contact's tags when given. */
  tags?: readonly string[]
  /** List ids; replace the contact's list memberships when given. */
  listIds?: readonly string[]
  subscription?: 'subscribed' | 'unsubscribed'
}

const FIELD_COLUMNS = {
  firstName: 'first_name',
  lastName: 'last_name',
  phone: 'phone',
  companyName: 'company_name',
  address1: 'address1',
  city: 'city',
  state: 'state',
  postalCode: 'postal_code',
  country: 'country',
  website: 'website',
  timezone: 'timezone',
  source: 'source',
  dateOfBirth: 'date_of_birth',
  assignedTo: 'assigned_to',
} as const satisfies Record<string, keyof ContactPatch>

function normalizedTags(raw: readonly string[]): string[] {
  const list = normalizeTagList(raw)
  if (!list.ok) {
    const first = list.problems[0]
    throw new ServiceError(
      'invalid-tag-name',
      first?.problem === 'empty'
        ? 'tags must not contain empty names'
        : 'tags must be at most 255 characters long',
    )
  }
  return list.names
}

/** Columns for the fields the input names; fields it leaves out are not touched. */
export function contactColumnsFor(input: ContactFields, existing: ContactRow | undefined): ContactPatch {
  const patch: ContactPatch = {}
  for (const [field, column] of Object.entries(FIELD_COLUMNS)) {
    const value = input[field as keyof typeof FIELD_COLUMNS]
    if (value !== undefined) patch[column] = value
  }
  if (input.email !== undefined) {
    patch.email = input.email
    patch.email_lower = normalizeEmail(input.email)
  }
  if (input.dnd !== undefined) patch.dnd = input.dnd ? 1 : 0
  if (input.extra !== undefined) {
    patch.extra = { ...(existing?.extra ?? {}), ...input.extra }
  }
  // Derived columns are recomputed from the merged state: input where given, else what is stored.
  const current = <K extends keyof ContactRow>(column: K): ContactRow[K] | null | undefined =>
    column in patch ? (patch as Partial<ContactRow>)[column] : existing?.[column]
  const nameGiven = input.name !== undefined || input.firstName !== undefined || input.lastName !== undefined
  const name = nameGiven
    ? displayName({ name: input.name, firstName: current('first_name'), lastName: current('last_name') })
    : (existing?.name ?? null)
  patch.name = name
  patch.search_text = contactSearchText({
    name,
    email: current('email'),
    phone: current('phone'),
    companyName: current('company_name'),
  })
  return patch
}

/** The input with its phone as stored and matched (E.164 where it reads as one; domain/phones.ts). */
async function withStoredPhone<T extends { phone?: string | null }>(
  db: Db,
  locationId: string,
  input: T,
): Promise<T> {
  if (typeof input.phone !== 'string' || input.phone.trim() === '') return input
  return { ...input, phone: normalizePhone(input.phone, await findPhoneCountry(db, locationId)) }
}

async function tagsOf(db: Db, locationId: string, contactId: string): Promise<string[]> {
  return (await listTagsOfContacts(db, locationId, [contactId])).map((t) => t.name)
}

async function refuseDuplicate(tx: Db, locationId: string, input: ContactFields): Promise<void> {
  const email = normalizeEmail(input.email)
  const byEmail = email ? await findLiveContactByEmail(tx, locationId, email) : undefined
  const byPhone =
    !byEmail && input.phone ? await findLiveContactByPhone(tx, locationId, input.phone) : undefined
  const match = byEmail ?? byPhone
  if (match) {
    throw new ServiceError('duplicate-contact', 'This location does not allow duplicated contacts.', {
      contactId: match.id,
      matchingField: byEmail ? 'email' : 'phone',
    })
  }
}

/** Sets a contact's tags to exactly `names` (how HighLevel treats `tags` on create, update and upsert). */
async function replaceTags(
  tx: Db,
  locationId: string,
  contactId: string,
  names: readonly string[],
  source: string,
  now: string,
): Promise<string[]> {
  const current = await tagsOf(tx, locationId, contactId)
  const wanted = new Set(names)
  const change = await applyTagEdit(
    tx,
    locationId,
    [contactId],
    { add: names.filter((n) => !current.includes(n)), remove: current.filter((n) => !wanted.has(n)) },
    source,
    now,
  )
  return tagsAfter(change.get(contactId) as AppliedTagChange)
}

async function replaceLists(
  tx: Db,
  locationId: string,
  contactId: string,
  listIds: readonly string[],
  now: string,
) {
  const unique = [...new Set(listIds)]
  const found = new Set((await findListsByIds(tx, locationId, unique)).map((l) => l.id))
  const missing = unique.filter((id) => !found.has(id))
  if (missing.length > 0)
    throw new ServiceError(
      'unknown-reference',
      `list_memberships names unknown lists: ${missing.join(', ')}`,
      {
        field: 'list_memberships',
      },
    )
  await replaceContactLists(tx, locationId, contactId, unique, now)
}

/** The row of a contact created now from `input` (subscribed unless it says otherwise). */
export function newContactRow(
  locationId: string,
  id: string,
  input: ContactInput,
  now: string,
): NewContactRow {
  // The columns' object is completed in place: spreading it into a new one (its keys vary with
  // the input) took 13 µs a row, most of an import's row building.
  const row = contactColumnsFor(input, undefined) as NewContactRow
  row.location_id = locationId
  row.id = id
  row.dnd ??= 0
  row.extra ??= {}
  row.search_text ??= ''
  row.created_at = now
  row.updated_at = now
  row.subscribed_at = now
  row.unsubscribed_at = input.subscription === 'unsubscribed' ? now : null
  return row
}

async function insertNewContact(
  tx: Db,
  locationId: string,
  input: ContactInput,
  tags: readonly string[],
  source: string,
  now: string,
): Promise<ContactView> {
  const id = newFirebaseId()
  await insertContact(tx, newContactRow(locationId, id, input, now))
  await recordContactLifecycle(tx, locationId, [id], 'ContactCreate', source, now)
  const finalTags = tags.length > 0 ? await replaceTags(tx, locationId, id, tags, source, now) : []
  if (input.listIds !== undefined) await replaceLists(tx, locationId, id, input.listIds, now)
  const row = await findContact(tx, locationId, id)
  return { ...(row as ContactRow), tags: finalTags }
}

export async function createContact(
  database: Database,
  locationId: string,
  input: ContactInput,
  source: string,
): Promise<ContactView> {
  const tags = normalizedTags(input.tags ?? [])
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    input = await withStoredPhone(tx, locationId, input)
    await refuseDuplicate(tx, locationId, input)
    return insertNewContact(tx, locationId, input, tags, source, now)
  })
}

/** The contact, or the reason it cannot be used from this location. */
async function requireLiveContact(tx: Db, locationId: string, contactId: string): Promise<ContactRow> {
  if (!isFirebaseId(contactId))
    throw new ServiceError('invalid-contact-id', 'contact id is not a valid firebase id')
  const [locked] = await lockAndReadLiveContacts(tx, locationId, [contactId])
  if (locked) return locked
  const [home] = await findContactHomes(tx, [contactId])
  if (home && home.location_id === locationId) throw new ServiceError('contact-deleted', 'Contact is deleted')
  // A contact of another location is reported as missing: tenants learn nothing of each other.
  throw new ServiceError('contact-not-found', 'Contact not found')
}

export async function getContact(
  database: Database,
  locationId: string,
  contactId: string,
): Promise<ContactView> {
  if (!isFirebaseId(contactId))
    throw new ServiceError('invalid-contact-id', 'contact id is not a valid firebase id')
  const row = await findContact(database, locationId, contactId)
  if (!row) throw new ServiceError('contact-not-found', 'Contact not found')
  if (row.deleted_at) throw new ServiceError('contact-deleted', 'Contact is deleted')
  return { ...row, tags: await tagsOf(database, locationId, contactId) }
}

async function updateLiveContact(
  tx: Db,
  locationId: string,
  existing: ContactRow,
  input: ContactInput,
  tags: readonly string[] | undefined,
  source: string,
  now: string,
): Promise<ContactView> {
  await updateContactRow(tx, locationId, existing.id, {
    ...contactColumnsFor(input, existing),
    updated_at: now,
  })
  if (input.listIds !== undefined) await replaceLists(tx, locationId, existing.id, input.listIds, now)
  if (input.subscription !== undefined)
    await applySubscription(tx, locationId, existing, input.subscription, now)
  const finalTags =
    tags === undefined
      ? await tagsOf(tx, locationId, existing.id)
      : await replaceTags(tx, locationId, existing.id, tags, source, now)
  const row = await findContact(tx, locationId, existing.id)
  return { ...(row as ContactRow), tags: finalTags }
}

export async function updateContact(
  database: Database,
  locationId: string,
  contactId: string,
  input: ContactInput,
  source: string,
): Promise<ContactView> {
  const tags = input.tags === undefined ? undefined : normalizedTags(input.tags)
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    const existing = await requireLiveContact(tx, locationId, contactId)
    return updateLiveContact(
      tx,
      locationId,
      existing,
      await withStoredPhone(tx, locationId, input),
      tags,
      source,
      now,
    )
  })
}

/** Updates the live contact with the same email (else phone), or creates one. */
export async function upsertContact(
  database: Database,
  locationId: string,
  input: ContactInput,
  source: string,
): Promise<{ created: boolean; contact: ContactView }> {
  const tags = input.tags === undefined ? undefined : normalizedTags(input.tags)
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    input = await withStoredPhone(tx, locationId, input)
    const email = normalizeEmail(input.email)
    const match =
      (email ? await findLiveContactByEmail(tx, locationId, email) : undefined) ??
      (input.phone ? await findLiveContactByPhone(tx, locationId, input.phone) : undefined)
    // Lock first, then write from what the lock read: the match may have changed (or been
    // deleted) since it was found.
    const [current] = match ? await lockAndReadLiveContacts(tx, locationId, [match.id]) : []
    if (current) {
      return {
        created: false,
        contact: await updateLiveContact(tx, locationId, current, input, tags, source, now),
      }
    }
    return { created: true, contact: await insertNewContact(tx, locationId, input, tags ?? [], source, now) }
  })
}

/** Soft delete: the row stays (so ids keep answering "contact is deleted") but leaves every view. */
export async function deleteContact(
  database: Database,
  locationId: string,
  contactId: string,
  source: string,
): Promise<void> {
  const now = new Date().toISOString()
  await database.transaction(async (tx) => {
    await requireLiveContact(tx, locationId, contactId)
    await softDeleteContact(tx, locationId, contactId, now)
    await recordContactLifecycle(tx, locationId, [contactId], 'ContactDelete', source, now)
  })
}

/** The rows with each contact's tag names, sorted, read in one statement for the whole page. */
export async function withTagNames(
  database: Database,
  locationId: string,
  rows: ContactRow[],
): Promise<ContactView[]> {
  const tags = await listTagsOfContacts(
    database,
    locationId,
    rows.map((r) => r.id),
  )
  const byContact = groupBy(
    tags,
    (t) => t.contact_id,
    (t) => t.name,
  )
  return rows.map((r) => ({ ...r, tags: sortTagNames(byContact.get(r.id) ?? []) }))
}

export type ContactPage = { contacts: ContactView[]; total: number }

export async function listContacts(
  database: Database,
  locationId: string,
  page: { query?: string; limit: number; startAfterId?: string },
): Promise<ContactPage> {
  const rows = await listLiveContacts(database, locationId, page)
  return {
    contacts: await withTagNames(database, locationId, rows),
    total: await countLiveContacts(database, locationId, page.query),
  }
}

/** Adds or removes tags on one contact; answers the contact's tags afterwards. */
export async function editContactTags(
  database: Database,
  locationId: string,
  contactId: string,
  operation: 'add' | 'remove',
  rawTags: readonly string[],
  source: string,
): Promise<string[]> {
  const names = normalizedTags(rawTags)
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    await requireLiveContact(tx, locationId, contactId)
    const edit = operation === 'add' ? { add: names, remove: [] } : { add: [], remove: names }
    const change = await applyTagEdit(tx, locationId, [contactId], edit, source, now)
    return tagsAfter(change.get(contactId) as AppliedTagChange)
  })
}

/** Tag names for tag ids of this location; an unknown id is refused, naming `field`. */
export async function tagNamesForIds(
  database: Database,
  locationId: string,
  tagIds: readonly string[],
  field: string,
): Promise<string[]> {
  const unique = [...new Set(tagIds)]
  const tags = await findTagsByIds(database, locationId, unique)
  const byId = new Map(tags.map((t) => [t.id, t.name]))
  const missing = unique.filter((id) => !byId.has(id))
  if (missing.length > 0)
    throw new ServiceError('unknown-reference', `${field} names unknown tags: ${missing.join(', ')}`, {
      field,
    })
  return unique.map((id) => byId.get(id) as string)
}

export type ContactLinks = { tagIds: string[]; listIds: string[] }

/** Tag ids and list ids of each contact, in id order. */
export async function contactLinks(
  database: Database,
  locationId: string,
  contactIds: readonly string[],
): Promise<Map<string, ContactLinks>> {
  const links = new Map<string, ContactLinks>(contactIds.map((id) => [id, { tagIds: [], listIds: [] }]))
  for (const t of await listTagsOfContacts(database, locationId, contactIds))
    links.get(t.contact_id)?.tagIds.push(t.tag_id)
  for (const m of await listIdsOfContacts(database, locationId, contactIds))
    links.get(m.contact_id)?.listIds.push(m.list_id)
  for (const link of links.values()) link.tagIds.sort()
  return links
}

/**
 * A keyset page of contacts matching every filter (the Constant Contact listing), and with
 * `withCount` how many match in all pages.
 */
export async function listContactsByFilter(
  database: Database,
  locationId: string,
  filter: ContactFilter,
  page: KeysetPage,
  withCount = false,
): Promise<{ contacts: ContactView[]; count?: number }> {
  const rows = await listContactsFiltered(database, locationId, filter, page)
  const contacts = await withTagNames(database, locationId, rows)
  if (!withCount) return { contacts }
  return { contacts, count: await countContactsFiltered(database, locationId, filter) }
}

/** The tenant's live contacts by consent; new subscribers: subscribed in the last `newSubscriberDays`. */
export async function contactConsentCounts(
  database: Database,
  locationId: string,
  newSubscriberDays: number,
  now = new Date(),
): Promise<ConsentCounts> {
  const since = new Date(now.getTime() - newSubscriberDays * 86_400_000).toISOString()
  return countContactsByConsent(database, locationId, since)
}

/**
 * A subscription change: `unsubscribed` stamps unsubscribed_at; `subscribed` on an unsubscribed
 * contact starts a new subscription (subscribed_at now, which the new_subscriber selector reads).
 * The same status again changes nothing. `current` is the contact as read under its lock.
 */
async function applySubscription(
  tx: Db,
  locationId: string,
  current: ContactRow,
  status: 'subscribed' | 'unsubscribed',
  now: string,
): Promise<void> {
  const isUnsubscribed = current.unsubscribed_at !== null
  if (status === 'unsubscribed' && !isUnsubscribed)
    await updateContactRow(tx, locationId, current.id, { unsubscribed_at: now, updated_at: now })
  if (status === 'subscribed' && isUnsubscribed)
    await updateContactRow(tx, locationId, current.id, {
      unsubscribed_at: null,
      subscribed_at: now,
      updated_at: now,
    })
}
