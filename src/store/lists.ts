import type { Insertable, Selectable } from 'kysely'
import type { Db } from './database.js'
import type { ListsTable } from './schema.js'

export type ListRow = Selectable<ListsTable>

/** Inserts a list; undefined when the name is taken in the location. */
export async function insertList(db: Db, row: Insertable<ListsTable>): Promise<ListRow | undefined> {
  return db.kysely
    .insertInto('lists')
    .values(row)
    .onConflict((oc) => oc.columns(['location_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export async function findList(db: Db, locationId: string, id: string): Promise<ListRow | undefined> {
  return db.kysely
    .selectFrom('lists')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function findListsByIds(db: Db, locationId: string, ids: readonly string[]): Promise<ListRow[]> {
  if (ids.length === 0) return []
  return db.kysely
    .selectFrom('lists')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', 'in', ids)
    .execute()
}

/** Keyset page in id order. */
export async function listLists(
  db: Db,
  locationId: string,
  page: { limit: number; afterId?: string },
): Promise<ListRow[]> {
  return db.kysely
    .selectFrom('lists')
    .selectAll()
    .where('location_id', '=', locationId)
    .$if(page.afterId !== undefined, (q) => q.where('id', '>', page.afterId as string))
    .orderBy('id')
    .limit(page.limit)
    .execute()
}

export type ListRenameOutcome = 'renamed' | 'not-found' | 'name-taken'

export async function renameList(
  db: Db,
  locationId: string,
  id: string,
  name: string,
  now: string,
): Promise<ListRenameOutcome> {
  const clash = await db.kysely
    .selectFrom('lists')
    .select('id')
    .where('location_id', '=', locationId)
    .where('name', '=', name)
    .where('id', '!=', id)
    .executeTakeFirst()
  if (clash) return 'name-taken'
  const result = await db.kysely
    .updateTable('lists')
    .set({ name, updated_at: now })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1 ? 'renamed' : 'not-found'
}

export async function setListDetails(
  db: Db,
  locationId: string,
  id: string,
  details: { description: string | null; favorite: boolean },
): Promise<void> {
  await db.kysely
    .updateTable('lists')
    .set({ description: details.description, favorite: details.favorite ? 1 : 0 })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .execute()
}

/** Deletes a list; its memberships go with it (ON DELETE CASCADE). */
export async function deleteList(db: Db, locationId: string, id: string): Promise<boolean> {
  const result = await db.kysely
    .deleteFrom('lists')
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function countListMembers(
  db: Db,
  locationId: string,
  listIds: readonly string[],
): Promise<Map<string, number>> {
  if (listIds.length === 0) return new Map()
  const rows = await db.kysely
    .selectFrom('list_memberships')
    .innerJoin('contacts', (join) =>
      join
        .onRef('contacts.location_id', '=', 'list_memberships.location_id')
        .onRef('contacts.id', '=', 'list_memberships.contact_id'),
    )
    .select((eb) => ['list_memberships.list_id', eb.fn.countAll<number>().as('n')])
    .where('list_memberships.location_id', '=', locationId)
    .where('list_memberships.list_id', 'in', listIds)
    .where('contacts.deleted_at', 'is', null)
    .groupBy('list_memberships.list_id')
    .execute()
  return new Map(rows.map((r) => [r.list_id, Number(r.n)]))
}

export async function listIdsOfContacts(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
): Promise<Array<{ contact_id: string; list_id: string }>> {
  if (contactIds.length === 0) return []
  return db.kysely
    .selectFrom('list_memberships')
    .select(['contact_id', 'list_id'])
    .where('location_id', '=', locationId)
    .where('contact_id', 'in', contactIds)
    .orderBy('contact_id')
    .orderBy('list_id')
    .execute()
}

/** Makes the contact a member of exactly these lists. */
export async function replaceContactLists(
  db: Db,
  locationId: string,
  contactId: string,
  listIds: readonly string[],
  now: string,
): Promise<void> {
  await db.kysely
    .deleteFrom('list_memberships')
    .where('location_id', '=', locationId)
    .where('contact_id', '=', contactId)
    .$if(listIds.length > 0, (q) => q.where('list_id', 'not in', listIds))
    .execute()
  if (listIds.length === 0) return
  await db.kysely
    .insertInto('list_memberships')
    .values(
      listIds.map((listId) => ({
        location_id: locationId,
        list_id: listId,
        contact_id: contactId,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['location_id', 'list_id', 'contact_id']).doNothing())
    .execute()
}
