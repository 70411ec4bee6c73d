import type { BulkContactOutcome } from '../../domain/bulkTagOutcomes.js'

/** The exact error messages of HighLevel's bulk tag endpoint; clients match on them. */
export const BULK_TAG_ERRORS = Object.freeze({
  'invalid-id': 'contact id is not a valid firebase id',
  'not-found': 'contact not found',
  deleted: 'contact is deleted',
  'other-location': 'contact does not belong to location',
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

/** `succeded` is spelled as HighLevel spells it; clients read that key. */
export type BulkTagResponse = { succeded: boolean; errorCount: number; responses: BulkTagResponseEntry[] }

/** HighLevel's answer to a bulk tag update: one entry per requested id, in request order. */
export function presentBulkTagResponse(outcomes: readonly BulkContactOutcome[]): BulkTagResponse {
  const responses = outcomes.map(
    (outcome): BulkTagResponseEntry =>
      outcome.kind === 'updated'
        ? {
            contactId: outcome.contactId,
            message: 'Tags updated',
            type: 'success',
            oldTags: outcome.oldTags,
            tagsAdded: outcome.tagsAdded,
            tagsRemoved: outcome.tagsRemoved,
          }
        : { contactId: outcome.contactId, message: BULK_TAG_ERRORS[outcome.reason], type: 'error' },
  )
  const errorCount = responses.filter((r) => r.type === 'error').length
  return { succeded: errorCount === 0, errorCount, responses }
}
