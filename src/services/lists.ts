import { randomUUID } from 'node:crypto'
import type { Database } from '../store/database.js'
import {
  countListMembers,
  deleteList as deleteListRow,
  findList,
  insertList,
  type ListRow,
  listLists,
  renameList,
  setListDetails,
} from '../store/lists.js'
import { ServiceError } from './errors.js'

export type ListInput = { name: string; description?: string; favorite?: boolean }

function validName(raw: string): string {
  const name = raw.trim()
  if (name.length === 0) throw new ServiceError('invalid-list-name', 'name must not be empty')
  return name
}

export async function createList(database: Database, locationId: string, input: ListInput): Promise<ListRow> {
  const now = new Date().toISOString()
  const created = await insertList(database, {
    location_id: locationId,
    id: randomUUID(),
    name: validName(input.name),
    description: input.description ?? null,
    favorite: input.favorite ? 1 : 0,
    created_at: now,
    updated_at: now,
  })
  if (!created) throw new ServiceError('list-name-taken', 'A list with this name already exists.')
  return created
}

export async function getList(database: Database, locationId: string, id: string): Promise<ListRow> {
  const list = await findList(database, locationId, id)
  if (!list) throw new ServiceError('list-not-found', 'The list was not found.')
  return list
}

export async function updateList(
  database: Database,
  locationId: string,
  id: string,
  input: ListInput,
): Promise<ListRow> {
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    const outcome = await renameList(tx, locationId, id, validName(input.name), now)
    if (outcome === 'not-found') throw new ServiceError('list-not-found', 'The list was not found.')
    if (outcome === 'name-taken')
      throw new ServiceError('list-name-taken', 'A list with this name already exists.')
    await setListDetails(tx, locationId, id, {
      description: input.description ?? null,
      favorite: input.favorite ?? false,
    })
    return (await findList(tx, locationId, id)) as ListRow
  })
}

/** Deletes the list and its memberships; the contacts stay. */
export async function deleteList(database: Database, locationId: string, id: string): Promise<void> {
  if (!(await deleteListRow(database, locationId, id)))
    throw new ServiceError('list-not-found', 'The list was not found.')
}

export async function listListsPage(
  database: Database,
  locationId: string,
  page: { limit: number; afterId?: string; withCounts: boolean },
): Promise<Array<{ list: ListRow; membershipCount?: number }>> {
  const lists = await listLists(database, locationId, page)
  const counts = page.withCounts
    ? await countListMembers(
        database,
        locationId,
        lists.map((l) => l.id),
      )
    : undefined
  return lists.map((list) => ({ list, ...(counts ? { membershipCount: counts.get(list.id) ?? 0 } : {}) }))
}
