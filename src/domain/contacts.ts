/** Pure rules about contact fields shared by every dialect. */

export type ContactFields = {
  firstName?: string | null
  lastName?: string | null
  name?: string | null
  email?: string | null
  phone?: string | null
  companyName?: string | null
  address1?: string | null
  city?: string | null
  state?: string | null
  postalCode?: string | null
  country?: string | null
  website?: string | null
  timezone?: string | null
  source?: string | null
  dateOfBirth?: string | null
  assignedTo?: string | null
  dnd?: boolean
  /** Fields kept verbatim without being interpreted (gender, dndSettings, customFields...). */
  extra?: Record<string, unknown>
}

export function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim()
  return trimmed ? trimmed.toLowerCase() : null
}

/** The display name: given explicitly, else first and last name joined. */
export function displayName(fields: Pick<ContactFields, 'firstName' | 'lastName' | 'name'>): string | null {
  if (fields.name?.trim()) return fields.name.trim()
  const joined = [fields.firstName, fields.lastName]
    .filter((p): p is string => !!p?.trim())
    .map((p) => p.trim())
    .join(' ')
  return joined.length > 0 ? joined : null
}

/** Lower-cased text the `query` filter matches against. */
export function contactSearchText(fields: ContactFields): string {
  return [displayName(fields), fields.email, fields.phone, fields.companyName]
    .filter((p): p is string => !!p)
    .join(' ')
    .toLowerCase()
}
