import type { Insertable, Selectable } from 'kysely'
import { newFirebaseId } from '../domain/ids.js'
import type { Db } from './database.js'
import { keepingSelectedRowsFromDeletion } from './dialect.js'
import type { TagsTable } from './schema.js'

export type TagRow = Selectable<TagsTable>

export async function listTags(db: Db, locationId: string): Promise<TagRow[]> {
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .orderBy('name')
    .execute()
}

export async function findTag(db: Db, locationId: string, id: string): Promise<TagRow | undefined> {
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function findTagByName(db: Db, locationId: string, name: string): Promise<TagRow | undefined> {
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function findTagsByName(
  db: Db,
  locationId: string,
  names: readonly string[],
): Promise<TagRow[]> {
  if (names.length === 0) return []
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('name', 'in', names)
    .execute()
}

/**
 * Keeps these tags from being deleted until the transaction ends (PostgreSQL: FOR KEY SHARE, which
 * blocks no reader or other writer of tag rows; SQLite serialises writers anyway), for a writer
 * that logs a tag as added before it inserts the tag's rows.
 */
export async function holdTagsAgainstDeletion(
  db: Db,
  locationId: string,
  tagIds: readonly string[],
): Promise<void> {
  if (db.dialect !== 'postgres' || tagIds.length === 0) return
  await keepingSelectedRowsFromDeletion(
    db,
    db.kysely.selectFrom('tags').select('id').where('location_id', '=', locationId).where('id', 'in', tagIds),
    'tags',
  ).execute()
}

/**
 * The tags with these (normalised) names, creating the missing ones. Most calls name tags that
 * exist: they cost the one read. ON CONFLICT DO NOTHING makes concurrent creators of the same
 * name converge on one row, which the second read returns.
 */
export async function ensureTagsByName(
  db: Db,
  locationId: string,
  names: readonly string[],
  now: string,
): Promise<TagRow[]> {
  if (names.length === 0) return []
  const existing = await findTagsByName(db, locationId, names)
  if (existing.length === new Set(names).size) return existing
  const found = new Set(existing.map((t) => t.name))
  await insertTagsIfAbsent(
    db,
    locationId,
    names.filter((name) => !found.has(name)),
    now,
  )
  return findTagsByName(db, locationId, names)
}

async function insertTagsIfAbsent(
  db: Db,
  locationId: string,
  names: readonly string[],
  now: string,
): Promise<void> {
  await db.kysely
    .insertInto('tags')
    .values(
      [...new Set(names)].map((name) => ({
        location_id: locationId,
        id: newFirebaseId(),
        name,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['location_id', 'name']).doNothing())
    .execute()
}

/** Inserts a new tag; undefined when the name is taken. */
export async function insertTag(db: Db, row: Insertable<TagsTable>): Promise<TagRow | undefined> {
  return db.kysely
    .insertInto('tags')
    .values(row)
    .onConflict((oc) => oc.columns(['location_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export type RenameOutcome = 'renamed' | 'not-found' | 'name-taken'

/** `displayName`: the name as written, kept for the dialect that shows it; null: none. */
export async function renameTag(
  db: Db,
  locationId: string,
  id: string,
  name: string,
  now: string,
  displayName: string | null = null,
): Promise<RenameOutcome> {
  const holder = await findTagByName(db, locationId, name)
  if (holder && holder.id !== id) return 'name-taken'
  const result = await db.kysely
    .updateTable('tags')
    .set({ name, display_name: displayName, updated_at: now })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n ? 'renamed' : 'not-found'
}

/**
 * Deletes the tag, then its contact_tags rows (they have no foreign key to cascade from; see
 * migration 0008). The tag goes first: a writer that locked it FOR KEY SHARE to attach it finishes
 * before the delete goes on, and the row delete that follows sees what that writer added.
 */
export async function deleteTag(db: Db, locationId: string, id: string): Promise<boolean> {
  const result = await db.kysely
    .deleteFrom('tags')
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  await db.kysely
    .deleteFrom('contact_tags')
    .where('location_id', '=', locationId)
    .where('tag_id', '=', id)
    .execute()
  return result.numDeletedRows > 0n
}

export async function findTagsByIds(db: Db, locationId: string, ids: readonly string[]): Promise<TagRow[]> {
  if (ids.length === 0) return []
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', 'in', ids)
    .execute()
}

/** Keyset page in id order. */
export async function listTagsAfter(
  db: Db,
  locationId: string,
  page: { limit: number; afterId?: string },
): Promise<TagRow[]> {
  return db.kysely
    .selectFrom('tags')
    .selectAll()
    .where('location_id', '=', locationId)
    .$if(page.afterId !== undefined, (q) => q.where('id', '>', page.afterId as string))
    .orderBy('id')
    .limit(page.limit)
    .execute()
}
