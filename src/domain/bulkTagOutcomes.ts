import { isFirebaseId } from './ids.js'
import { sortTagNames } from './tags.js'

/** Why a well-formed id cannot be tagged in the requesting location. */
export type ContactUnavailability = 'not-found' | 'deleted' | 'other-location'

/** What the store found and changed, per distinct live contact. */
export type AppliedTagChange = {
  oldTags: readonly string[]
  added: readonly string[]
  removed: readonly string[]
}

/**
 * What a bulk tag request did to one requested id (each dialect words it in its own format):
 * updated with the tags before and the changes, or refused and why.
 */
export type BulkContactOutcome =
  | { contactId: string; kind: 'updated'; oldTags: string[]; tagsAdded: string[]; tagsRemoved: string[] }
  | { contactId: string; kind: 'refused'; reason: 'invalid-id' | ContactUnavailability }

/** Tags a contact carries after a change, in display order. */
export function tagsAfter(change: AppliedTagChange): string[] {
  const removed = new Set(change.removed)
  const after = new Set(change.oldTags.filter((t) => !removed.has(t)))
  for (const t of change.added) after.add(t)
  return sortTagNames(after)
}

/**
 * One outcome per requested id, in request order, as if the ids were applied one at a time
 * inside one transaction: a repeated id sees the state its first occurrence left, so it reports
 * the updated tags as old and nothing added or removed.
 */
export function bulkContactOutcomes(
  requestedIds: readonly string[],
  unavailable: ReadonlyMap<string, ContactUnavailability>,
  applied: ReadonlyMap<string, AppliedTagChange>,
): BulkContactOutcome[] {
  const seen = new Set<string>()
  return requestedIds.map((contactId): BulkContactOutcome => {
    if (!isFirebaseId(contactId)) return { contactId, kind: 'refused', reason: 'invalid-id' }
    const change = applied.get(contactId)
    if (!change) return { contactId, kind: 'refused', reason: unavailable.get(contactId) ?? 'not-found' }
    const first = !seen.has(contactId)
    seen.add(contactId)
    return first
      ? {
          contactId,
          kind: 'updated',
          oldTags: [...change.oldTags],
          tagsAdded: [...change.added],
          tagsRemoved: [...change.removed],
        }
      : { contactId, kind: 'updated', oldTags: tagsAfter(change), tagsAdded: [], tagsRemoved: [] }
  })
}
