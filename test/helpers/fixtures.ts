import type { Scope } from '../../src/domain/scopes.js'
import { createAccessToken, createLocation } from '../../src/services/admin.js'
import { createContact } from '../../src/services/contacts.js'
import type { Database } from '../../src/store/database.js'

let counter = 0

export async function makeLocation(database: Database, name = 'Test location') {
  return createLocation(database, name)
}

export async function makeToken(database: Database, locationId: string, scopes?: readonly Scope[]) {
  return (
    await createAccessToken(
      database,
      locationId,
      scopes ?? [
        'contacts.readonly',
        'contacts.write',
        'locations/tags.readonly',
        'locations/tags.write',
        'contact_data',
      ],
    )
  ).token
}

export async function makeContact(database: Database, locationId: string, tags: string[] = [], fields = {}) {
  counter += 1
  const contact = await createContact(
    database,
    locationId,
    { firstName: `Person${counter}`, email: `person${counter}-${Date.now()}@example.com`, tags, ...fields },
    'test',
  )
  return contact.id
}
