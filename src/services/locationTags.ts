import { newFirebaseId, normalizeTagName, tagNameProblem } from '../domain/index.js'
import { countLiveContactsPerTag } from '../store/contactTags.js'
import type { Database } from '../store/database.js'
import { appendTagRemovalForHolders } from '../store/events.js'
import {
  deleteTag,
  findTag,
  insertTag,
  listTags,
  listTagsAfter,
  renameTag,
  type TagRow,
} from '../store/tags.js'
import { ServiceError } from './errors.js'

function validTagName(raw: string): string {
  const name = normalizeTagName(raw)
  const problem = tagNameProblem(name)
  if (problem === 'empty') throw new ServiceError('invalid-tag-name', 'name should not be empty')
  if (problem === 'too-long')
    throw new ServiceError('invalid-tag-name', 'name must be at most 255 characters long')
  return name
}

export async function listLocationTags(database: Database, locationId: string): Promise<TagRow[]> {
  return listTags(database, locationId)
}

/** A keyset page of tags in id order, with live-contact counts when asked. */
export async function listLocationTagsPage(
  database: Database,
  locationId: string,
  page: { limit: number; afterId?: string; withCounts: boolean },
): Promise<Array<{ tag: TagRow; contactsCount?: number }>> {
  const tags = await listTagsAfter(database, locationId, page)
  const counts = page.withCounts ? await countLiveContactsPerTag(database, locationId) : undefined
  return tags.map((tag) => ({ tag, ...(counts ? { contactsCount: counts.get(tag.id) ?? 0 } : {}) }))
}

export async function countTagHolders(
  database: Database,
  locationId: string,
  tagId: string,
): Promise<number> {
  return (await countLiveContactsPerTag(database, locationId)).get(tagId) ?? 0
}

export async function getLocationTag(database: Database, locationId: string, tagId: string): Promise<TagRow> {
  const tag = await findTag(database, locationId, tagId)
  if (!tag) throw new ServiceError('tag-not-found', 'Tag not found')
  return tag
}

/**
 * How a dialect names tags: `keepWrittenName` keeps the name as the caller wrote it (trimmed) for
 * display (Constant Contact); the tag is still found and kept unique by its normalised name.
 */
export type TagNaming = { tagSource?: string; keepWrittenName?: boolean }

export async function createLocationTag(
  database: Database,
  locationId: string,
  rawName: string,
  naming: TagNaming = {},
): Promise<TagRow> {
  const name = validTagName(rawName)
  const now = new Date().toISOString()
  const created = await insertTag(database, {
    location_id: locationId,
    id: newFirebaseId(),
    name,
    created_at: now,
    updated_at: now,
    tag_source: naming.tagSource ?? null,
    display_name: naming.keepWrittenName ? rawName.trim() : null,
  })
  if (!created) throw new ServiceError('tag-name-taken', 'Tag with the same name already exists')
  return created
}

export async function renameLocationTag(
  database: Database,
  locationId: string,
  tagId: string,
  rawName: string,
  naming: TagNaming = {},
): Promise<TagRow> {
  const name = validTagName(rawName)
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    // A rename through HighLevel drops the written form: it would show the old name.
    const displayName = naming.keepWrittenName ? rawName.trim() : null
    const outcome = await renameTag(tx, locationId, tagId, name, now, displayName)
    if (outcome === 'not-found') throw new ServiceError('tag-not-found', 'Tag not found')
    if (outcome === 'name-taken')
      throw new ServiceError('tag-name-taken', 'Tag with the same name already exists')
    return (await findTag(tx, locationId, tagId)) as TagRow
  })
}

/** Deleting a tag untags every contact; each live holder gets a ContactTagUpdate event. */
export async function deleteLocationTag(
  database: Database,
  locationId: string,
  tagId: string,
): Promise<void> {
  const now = new Date().toISOString()
  await database.transaction(async (tx) => {
    const tag = await findTag(tx, locationId, tagId)
    if (!tag) throw new ServiceError('tag-not-found', 'Tag not found')
    await appendTagRemovalForHolders(tx, locationId, tag.id, tag.name, 'highlevel.tag-delete', now)
    await deleteTag(tx, locationId, tag.id)
  })
}
