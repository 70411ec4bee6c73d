import { newFirebaseId } from '../../src/domain/ids.js'
import { insertContacts } from '../../src/store/contacts.js'
import type { Db } from '../../src/store/database.js'

/**
 * Inserts `count` bare, subscribed contacts with set-based statements (1000 rows each) and
 * returns their ids: for suites and benchmarks about volume, not about creating contacts.
 */
export async function seedContacts(db: Db, locationId: string, count: number): Promise<string[]> {
  const now = new Date().toISOString()
  const ids = Array.from({ length: count }, newFirebaseId)
  for (let start = 0; start < count; start += 1000) {
    await insertContacts(
      db,
      ids.slice(start, start + 1000).map((id) => ({
        location_id: locationId,
        id,
        dnd: 0,
        extra: {},
        search_text: '',
        created_at: now,
        updated_at: now,
        subscribed_at: now,
      })),
    )
  }
  return ids
}
