import type { ContactFields } from './contacts.js'
import { normalizeTagList } from './tags.js'

/** Contact fields a CSV column can fill, and the tag list. */
export type ImportField =
  | 'firstName'
  | 'lastName'
  | 'name'
  | 'email'
  | 'phone'
  | 'companyName'
  | 'address1'
  | 'city'
  | 'state'
  | 'postalCode'
  | 'country'
  | 'website'
  | 'source'
  | 'dateOfBirth'
  | 'dnd'
  | 'tags'

/** Header spellings accepted per field, compared without case, spaces, dashes or underscores. */
const ALIASES: Record<ImportField, readonly string[]> = {
  firstName: ['firstname', 'first', 'givenname'],
  lastName: ['lastname', 'last', 'surname', 'familyname'],
  name: ['name', 'fullname', 'contactname'],
  email: ['email', 'emailaddress', 'mail'],
  phone: ['phone', 'phonenumber', 'mobile', 'telephone'],
  companyName: ['companyname', 'company', 'organization', 'organisation'],
  address1: ['address1', 'address', 'street'],
  city: ['city', 'town'],
  state: ['state', 'region', 'province'],
  postalCode: ['postalcode', 'zip', 'zipcode', 'postcode'],
  country: ['country'],
  website: ['website', 'url', 'web'],
  source: ['source'],
  dateOfBirth: ['dateofbirth', 'birthday', 'dob'],
  dnd: ['dnd', 'donotdisturb'],
  tags: ['tags', 'tag', 'labels'],
}

function key(header: string): string {
  return header.toLowerCase().replace(/[\s_\-.]/g, '')
}

export type ColumnMapping = { fields: Array<ImportField | undefined>; ignored: string[] }

/** Which field each column fills; columns naming no known field (or a field twice) are ignored. */
export function mapColumns(headers: readonly string[]): ColumnMapping {
  const byAlias = new Map<string, ImportField>()
  for (const [field, aliases] of Object.entries(ALIASES) as Array<[ImportField, readonly string[]]>)
    for (const alias of aliases) byAlias.set(alias, field)
  const taken = new Set<ImportField>()
  const fields = headers.map((header) => {
    const field = byAlias.get(key(header))
    if (!field || taken.has(field)) return undefined
    taken.add(field)
    return field
  })
  return { fields, ignored: headers.filter((_, i) => fields[i] === undefined) }
}

export type ImportRow = { ok: true; fields: ContactFields; tags: string[] } | { ok: false; reason: string }

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y'])
const FALSE_WORDS = new Set(['', '0', 'false', 'no', 'n'])

/**
 * One CSV record as a contact: empty cells are absent, tags are split on `;` or `,`, a row must
 * carry an email or a phone (what an import matches existing contacts on).
 */
export function importRow(values: readonly string[], mapping: ColumnMapping): ImportRow {
  const fields: ContactFields = {}
  let tags: string[] = []
  for (const [i, raw] of values.entries()) {
    const field = mapping.fields[i]
    const value = raw.trim()
    if (!field || value === '') continue
    if (field === 'tags') {
      const parsed = normalizeTagList(value.split(/[;,]/).filter((t) => t.trim() !== ''))
      if (!parsed.ok) return { ok: false, reason: 'a tag name is longer than 255 characters' }
      tags = parsed.names
    } else if (field === 'dnd') {
      const word = value.toLowerCase()
      if (!TRUE_WORDS.has(word) && !FALSE_WORDS.has(word))
        return { ok: false, reason: `dnd must be yes or no, got "${value}"` }
      fields.dnd = TRUE_WORDS.has(word)
    } else if (field === 'email') {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
        return { ok: false, reason: `"${value}" is not an email address` }
      fields.email = value
    } else {
      fields[field] = value
    }
  }
  if (!fields.email && !fields.phone) return { ok: false, reason: 'the row has neither an email nor a phone' }
  return { ok: true, fields, tags }
}
