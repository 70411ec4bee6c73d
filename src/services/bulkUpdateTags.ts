import {
  type BulkContactOutcome,
  bulkContactOutcomes,
  type ContactUnavailability,
  isFirebaseId,
} from '../domain/index.js'
import { findContactHomes, lockLiveContacts } from '../store/contacts.js'
import type { Database } from '../store/database.js'
import { tagRowsWritten } from './metrics.js'
import { applyTagEdit } from './tagEdits.js'

export type BulkTagOperation = 'add' | 'remove'

export type BulkUpdateTagsInput = {
  locationId: string
  operation: BulkTagOperation
  contactIds: readonly string[]
  /** Normalised names (see normalizeTagList). */
  tagNames: readonly string[]
  /** Only with `remove`: every tag of each contact goes, whatever `tagNames` says. */
  removeAllTags: boolean
  source: string
  /** Compute the exact answer, then roll everything back: nothing is written. */
  dryRun?: boolean
}

/** Carries a dry run's answer out of the transaction it rolls back. */
class DryRunRollback extends Error {
  constructor(readonly result: BulkContactOutcome[]) {
    super('dry run')
  }
}

/**
 * Adds or removes tags on up to a thousand contacts in one transaction, answering per requested
 * id (each dialect words the outcomes). The number of statements does not depend on how many
 * contacts or tags are involved.
 */
export async function bulkUpdateTags(
  database: Database,
  input: BulkUpdateTagsInput,
): Promise<BulkContactOutcome[]> {
  const wellFormed = [...new Set(input.contactIds.filter(isFirebaseId))]
  const now = new Date().toISOString()
  try {
    const result = await applyBulkUpdate(database, input, wellFormed, now)
    countWrittenRows(result, input.source)
    return result
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result
    throw error
  }
}

async function applyBulkUpdate(
  database: Database,
  input: BulkUpdateTagsInput,
  wellFormed: string[],
  now: string,
): Promise<BulkContactOutcome[]> {
  return database.transaction(async (tx) => {
    const live = await lockLiveContacts(tx, input.locationId, wellFormed)
    const liveSet = new Set(live)
    const unavailable = new Map<string, ContactUnavailability>()
    const homes = await findContactHomes(
      tx,
      wellFormed.filter((id) => !liveSet.has(id)),
    )
    for (const home of homes) {
      unavailable.set(home.id, home.location_id !== input.locationId ? 'other-location' : 'deleted')
    }
    const edit =
      input.operation === 'add'
        ? { add: input.tagNames, remove: [] }
        : { add: [], remove: input.removeAllTags ? ('all' as const) : input.tagNames }
    const applied = await applyTagEdit(tx, input.locationId, live, edit, input.source, now)
    const result = bulkContactOutcomes(input.contactIds, unavailable, applied)
    if (input.dryRun) throw new DryRunRollback(result)
    return result
  })
}

function countWrittenRows(result: readonly BulkContactOutcome[], source: string): void {
  let added = 0
  let removed = 0
  for (const entry of result)
    if (entry.kind === 'updated') {
      added += entry.tagsAdded.length
      removed += entry.tagsRemoved.length
    }
  if (added > 0) tagRowsWritten.inc({ source, operation: 'add' }, added)
  if (removed > 0) tagRowsWritten.inc({ source, operation: 'remove' }, removed)
}
