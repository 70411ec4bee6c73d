import type { SearchFilter, SearchSort } from '../domain/contactSearch.js'
import { normalizeEmail } from '../domain/index.js'
import { normalizePhone } from '../domain/phones.js'
import { countSearchedContacts, searchContacts } from '../store/contactSearch.js'
import { findLiveContactByEmail, findLiveContactByPhone } from '../store/contacts.js'
import type { Database } from '../store/database.js'
import { findPhoneCountry } from '../store/locations.js'
import { type ContactView, withTagNames } from './contacts.js'

export type ContactSearchInput = {
  filters: readonly SearchFilter[]
  query?: string
  sort: SearchSort
  limit: number
  /** Rows to skip (page-number paging), or where the previous page ended (searchAfter). */
  offset: number
  after?: { sortValue: string; id: string }
}

/** Phones in a search compare as stored: an exact phone is written in E.164 first. */
function withStoredPhones(filters: readonly SearchFilter[], country: string | null): SearchFilter[] {
  return filters.map((filter) => {
    if (filter.kind === 'group') return { ...filter, filters: withStoredPhones(filter.filters, country) }
    if (
      filter.kind === 'text' &&
      filter.field === 'phone' &&
      (filter.match === 'eq' || filter.match === 'not_eq')
    )
      return { ...filter, value: normalizePhone(filter.value, country) }
    return filter
  })
}

/** A page of the location's live contacts matching the search, and how many match in all. */
export async function searchLocationContacts(
  database: Database,
  locationId: string,
  input: ContactSearchInput,
): Promise<{ contacts: ContactView[]; total: number }> {
  const country = await findPhoneCountry(database, locationId)
  const search = {
    filters: withStoredPhones(input.filters, country),
    ...(input.query !== undefined ? { query: input.query } : {}),
  }
  const rows = await searchContacts(database, locationId, search, input.sort, {
    limit: input.limit,
    offset: input.offset,
    ...(input.after ? { after: input.after } : {}),
  })
  const [contacts, total] = await Promise.all([
    withTagNames(database, locationId, rows),
    countSearchedContacts(database, locationId, search),
  ])
  return { contacts, total }
}

/**
 * The live contact a new one with this email or phone would duplicate (HighLevel's rule: email
 * first, then phone as stored), or null.
 */
export async function findDuplicateContact(
  database: Database,
  locationId: string,
  given: { email?: string; phone?: string },
): Promise<ContactView | null> {
  const email = normalizeEmail(given.email)
  const byEmail = email ? await findLiveContactByEmail(database, locationId, email) : undefined
  let match = byEmail
  if (!match && given.phone) {
    const country = await findPhoneCountry(database, locationId)
    match = await findLiveContactByPhone(database, locationId, normalizePhone(given.phone, country))
  }
  if (!match) return null
  const [view] = await withTagNames(database, locationId, [match])
  return view ?? null
}
