import type { AppliedTagChange } from '../domain/bulkTagOutcomes.js'
import {
  attachExistingTagsByName,
  attachTags,
  type ContactTagName,
  detachTags,
  listTagsOfContacts,
} from '../store/contactTags.js'
import type { Db } from '../store/database.js'
import { recordContactTagUpdates } from '../store/events.js'
import { ensureTagsByName } from '../store/tags.js'

/** Normalised tag names to add and to remove (`'all'`: every tag the contact has). */
export type TagEdit = { add: readonly string[]; remove: readonly string[] | 'all' }

/**
 * Applies one edit to many live contacts with a fixed number of set-based statements, writes one
 * ContactTagUpdate event per contact that really changed, and reports per contact what it had and
 * what changed. Must run inside a transaction in which `contactIds` are locked (see lockLiveContacts).
 */
export async function applyTagEdit(
  tx: Db,
  locationId: string,
  contactIds: readonly string[],
  edit: TagEdit,
  source: string,
  now: string,
): Promise<Map<string, AppliedTagChange>> {
  const result = new Map<string, AppliedTagChange>()
  if (contactIds.length === 0) return result

  const before = await listTagsOfContacts(tx, locationId, contactIds)
  const oldTags = new Map<string, string[]>(contactIds.map((id) => [id, []]))
  const tagNames = new Map<string, string>()
  for (const row of before) {
    oldTags.get(row.contact_id)?.push(row.name)
    tagNames.set(row.tag_id, row.name)
  }

  const removedPairs = await removeTags(tx, locationId, contactIds, edit.remove, before)
  const addedPairs = await addTags(tx, locationId, contactIds, edit.add, now, tagNames)

  const added = groupNames(addedPairs, tagNames)
  const removed = groupNames(removedPairs, tagNames)
  // Report names in the order the request gave them (HighLevel does); 'all' follows the old tag order.
  const addOrder = orderIndex(edit.add)
  const removeOrder = orderIndex(edit.remove === 'all' ? [] : edit.remove)
  const changed: Array<{ contactId: string; tagsAdded: string[]; tagsRemoved: string[] }> = []
  for (const contactId of contactIds) {
    const old = oldTags.get(contactId) ?? []
    const tagsAdded = sortBy(added.get(contactId) ?? [], addOrder)
    const tagsRemoved =
      edit.remove === 'all'
        ? old.filter((t) => removed.get(contactId)?.includes(t))
        : sortBy(removed.get(contactId) ?? [], removeOrder)
    result.set(contactId, { oldTags: old, added: tagsAdded, removed: tagsRemoved })
    if (tagsAdded.length > 0 || tagsRemoved.length > 0) changed.push({ contactId, tagsAdded, tagsRemoved })
  }

  await recordContactTagUpdates(tx, locationId, changed, { source }, now)
  return result
}

/** Attaches the tags named, creating the missing ones; learns their names by id into `tagNames`. */
async function addTags(
  tx: Db,
  locationId: string,
  contactIds: readonly string[],
  names: readonly string[],
  now: string,
  tagNames: Map<string, string>,
) {
  const attached = await attachExistingTagsByName(tx, locationId, contactIds, names)
  const tags = attached?.tags ?? (await ensureTagsByName(tx, locationId, names, now))
  for (const tag of tags) tagNames.set(tag.id, tag.name)
  if (attached) return attached.added
  return attachTags(
    tx,
    locationId,
    contactIds,
    tags.map((t) => t.id),
  )
}

/**
 * The contacts' current tags were just read (and the contacts are locked), so the tags to remove
 * are known without another lookup; contacts carrying none of them cost no statement.
 */
async function removeTags(
  tx: Db,
  locationId: string,
  contactIds: readonly string[],
  remove: TagEdit['remove'],
  current: readonly ContactTagName[],
) {
  if (current.length === 0) return []
  if (remove === 'all') return detachTags(tx, locationId, contactIds, 'all')
  const names = new Set(remove)
  const tagIds = [...new Set(current.filter((row) => names.has(row.name)).map((row) => row.tag_id))]
  return detachTags(tx, locationId, contactIds, tagIds)
}

function groupNames(
  pairs: ReadonlyArray<{ contact_id: string; tag_id: string }>,
  tagNames: ReadonlyMap<string, string>,
): Map<string, string[]> {
  const byContact = new Map<string, string[]>()
  for (const { contact_id, tag_id } of pairs) {
    const name = tagNames.get(tag_id)
    if (name === undefined) throw new Error(`tag ${tag_id} changed but its name is unknown`)
    const list = byContact.get(contact_id)
    if (list) list.push(name)
    else byContact.set(contact_id, [name])
  }
  return byContact
}

function orderIndex(names: readonly string[]): Map<string, number> {
  return new Map(names.map((n, i) => [n, i]))
}

function sortBy(names: string[], order: ReadonlyMap<string, number>): string[] {
  return names.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
}
