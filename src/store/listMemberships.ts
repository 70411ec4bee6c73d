import { sql } from 'kysely'
import type { Db } from './database.js'
import { idsAsTable, keepingSelectedRowsFromDeletion, rowsAsTable } from './dialect.js'
import type { ListMembershipChangesTable } from './schema.js'

/** One contact on one list. */
export type ContactListPair = { contact_id: string; list_id: string }

export type MembershipChange = ListMembershipChangesTable['change']

/**
 * Puts each of the contacts on each of the lists: one INSERT ... SELECT over contacts × lists,
 * returning the memberships that were added (present ones are skipped). The contacts are the
 * caller's (selected and live); lists not in the location are left out.
 */
export async function addMemberships(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  listIds: readonly string[],
  now: string,
): Promise<ContactListPair[]> {
  if (contactIds.length === 0 || listIds.length === 0) return []
  return db.kysely
    .insertInto('list_memberships')
    .columns(['location_id', 'list_id', 'contact_id', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom(idsAsTable(db, contactIds, 'chunk'))
        .innerJoin('lists', (join) => join.on(sql<boolean>`true`))
        .select((s) => [
          'lists.location_id',
          'lists.id as list_id',
          'chunk.id as contact_id',
          s.val(now).as('created_at'),
        ])
        .where('lists.location_id', '=', locationId)
        .where('lists.id', 'in', listIds)
        .$call((q) => keepingSelectedRowsFromDeletion(db, q, 'lists')),
    )
    .onConflict((oc) => oc.columns(['location_id', 'list_id', 'contact_id']).doNothing())
    .returning(['contact_id', 'list_id'])
    .execute()
}

/** Takes the contacts off the lists: one DELETE, returning the memberships that were removed. */
export async function removeMemberships(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  listIds: readonly string[],
): Promise<ContactListPair[]> {
  if (contactIds.length === 0 || listIds.length === 0) return []
  return db.kysely
    .deleteFrom('list_memberships')
    .where('location_id', '=', locationId)
    .where('list_id', 'in', listIds)
    .where('contact_id', 'in', contactIds)
    .returning(['contact_id', 'list_id'])
    .execute()
}

/** Logs the memberships an activity added or removed, in the transaction that changed them. */
export async function recordMembershipChanges(
  db: Db,
  locationId: string,
  activityId: string,
  pairs: readonly ContactListPair[],
  change: MembershipChange,
): Promise<void> {
  if (pairs.length === 0) return
  await db.kysely
    .insertInto('list_membership_changes')
    .columns(['location_id', 'activity_id', 'contact_id', 'list_id', 'change'])
    .expression((eb) =>
      eb
        .selectFrom(rowsAsTable(db, pairs, 'pair', { contact_id: 'text', list_id: 'text' }))
        .select((s) => [
          s.val(locationId).as('location_id'),
          s.val(activityId).as('activity_id'),
          'pair.contact_id',
          'pair.list_id',
          s.val(change).as('change'),
        ]),
    )
    .execute()
}

export type ContactMembershipChanges = { contactId: string; added: string[]; removed: string[] }

/**
 * What an activity changed for up to `contacts` contacts after `afterContactId`, in contact id
 * order, each contact's lists in id order, and whether more may follow. One range scan of the log's
 * primary key: at most `contacts × listsPerContact` rows (a contact has a row per list at most); a
 * contact the limit cut off is left for the next call.
 */
export async function listMembershipChangesAfter(
  db: Db,
  locationId: string,
  activityId: string,
  afterContactId: string,
  page: { contacts: number; listsPerContact: number },
): Promise<{ changes: ContactMembershipChanges[]; more: boolean }> {
  const limit = page.contacts * Math.max(1, page.listsPerContact)
  const rows = await db.kysely
    .selectFrom('list_membership_changes')
    .select(['contact_id', 'list_id', 'change'])
    .where('location_id', '=', locationId)
    .where('activity_id', '=', activityId)
    .where('contact_id', '>', afterContactId)
    .orderBy('contact_id')
    .orderBy('list_id')
    .limit(limit)
    .execute()
  const changes: ContactMembershipChanges[] = []
  for (const row of rows) {
    let last = changes.at(-1)
    if (last?.contactId !== row.contact_id) {
      last = { contactId: row.contact_id, added: [], removed: [] }
      changes.push(last)
    }
    last[row.change].push(row.list_id)
  }
  const more = rows.length === limit
  if (more && changes.length > 1) changes.pop()
  return { changes: changes.slice(0, page.contacts), more: more || changes.length > page.contacts }
}

/** How many contacts an activity changed the memberships of. */
export async function countMembershipChangedContacts(
  db: Db,
  locationId: string,
  activityId: string,
): Promise<number> {
  const row = await db.kysely
    .selectFrom('list_membership_changes')
    .select((eb) => eb.fn.count<number>('contact_id').distinct().as('n'))
    .where('location_id', '=', locationId)
    .where('activity_id', '=', activityId)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}
