import { isFirebaseId } from './ids.js'
import { sortTagNames } from './tags.js'

/** The exact error messages of HighLevel's bulk tag endpoint; clients match on them. */
export const BULK_TAG_ERRORS = Object.freeze({
  invalidId: 'contact id is not a valid firebase id',
  notFound: 'contact not found',
  deleted: 'contact is deleted',
  otherLocation: 'contact does not belong to location',
} as const)

export type BulkTagErrorMessage = (typeof BULK_TAG_ERRORS)[keyof typeof BULK_TAG_ERRORS]

export type BulkTagSuccess = {
  contactId: string
  message: 'Tags updated'
  type: 'success'
  oldTags: string[]
  tagsAdded: string[]
  tagsRemoved: string[]
}

export type BulkTagFailure = { contactId: string; message: BulkTagErrorMessage; type: 'error' }

export type BulkTagResponseEntry = BulkTagSuccess | BulkTagFailure

export type BulkTagResponse = { succeded: boolean; errorCount: number; responses: BulkTagResponseEntry[] }

/** Why a well-formed id cannot be tagged in the requesting location. */
export type ContactUnavailability = 'not-found' | 'deleted' | 'other-location'

/** What the store found and changed, per distinct live contact. */
export type AppliedTagChange = {
  oldTags: readonly string[]
  added: readonly string[]
  removed: readonly string[]
}

const UNAVAILABLE_MESSAGE: Record<ContactUnavailability, BulkTagErrorMessage> = {
  'not-found': BULK_TAG_ERRORS.notFound,
  deleted: BULK_TAG_ERRORS.deleted,
  'other-location': BULK_TAG_ERRORS.otherLocation,
}

/** Tags a contact carries after a change, in display order. */
export function tagsAfter(change: AppliedTagChange): string[] {
  const removed = new Set(change.removed)
  const after = new Set(change.oldTags.filter((t) => !removed.has(t)))
  for (const t of change.added) after.add(t)
  return sortTagNames(after)
}

/**
 * One response per requested id, in request order, as if the ids were applied one at a time
 * inside one transaction: a repeated id sees the state its first occurrence left, so it reports
 * the updated tags as old and nothing added or removed.
 */
export function shapeBulkTagResponse(
  requestedIds: readonly string[],
  unavailable: ReadonlyMap<string, ContactUnavailability>,
  applied: ReadonlyMap<string, AppliedTagChange>,
): BulkTagResponse {
  const seen = new Set<string>()
  const responses: BulkTagResponseEntry[] = requestedIds.map((contactId) => {
    if (!isFirebaseId(contactId)) return { contactId, message: BULK_TAG_ERRORS.invalidId, type: 'error' }
    const change = applied.get(contactId)
    if (!change) {
      const reason = unavailable.get(contactId) ?? 'not-found'
      return { contactId, message: UNAVAILABLE_MESSAGE[reason], type: 'error' }
    }
    const first = !seen.has(contactId)
    seen.add(contactId)
    return first
      ? {
          contactId,
          message: 'Tags updated',
          type: 'success',
          oldTags: [...change.oldTags],
          tagsAdded: [...change.added],
          tagsRemoved: [...change.removed],
        }
      : {
          contactId,
          message: 'Tags updated',
          type: 'success',
          oldTags: tagsAfter(change),
          tagsAdded: [],
          tagsRemoved: [],
        }
  })
  const errorCount = responses.filter((r) => r.type === 'error').length
  return { succeded: errorCount === 0, errorCount, responses }
}
