import {
  type BulkContactOutcome,
  bulkContactOutcomes,
  type ContactUnavailability,
  isFirebaseId,
} from '../domain/index.js'
import { findContactHomes, lockLiveContacts } from '../store/contacts.js'
import type { Database, Db } from '../store/database.js'
import { BulkUpdateBatches, type QueuedBulkRequest } from './bulkUpdateBatches.js'
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

/** What every request of one batch shares: the edit, where and by whom. */
type Edit = Omit<BulkUpdateTagsInput, 'contactIds' | 'dryRun'>

/** One request of a batch: the ids it asked for as given, and (`contactIds`) the distinct well-formed ones. */
type QueuedRequest = QueuedBulkRequest<BulkContactOutcome[]> & {
  readonly edit: Edit
  readonly requestedIds: readonly string[]
}

const batchesOf = new WeakMap<Database, BulkUpdateBatches<QueuedRequest, BulkContactOutcome[]>>()

/**
 * Adds or removes tags on up to a thousand contacts in one transaction, answering per requested
 * id (each dialect words the outcomes). The number of statements does not depend on how many
 * contacts or tags are involved.
 *
 * Concurrent calls on one database making the same edit are merged into one transaction
 * (see BulkUpdateBatches): each answer is what applying that request alone would answer. A dry
 * run is never merged: it rolls back what it did.
 */
export async function bulkUpdateTags(
  database: Database,
  input: BulkUpdateTagsInput,
): Promise<BulkContactOutcome[]> {
  const { contactIds: requestedIds, dryRun, ...edit } = input
  const contactIds = [...new Set(requestedIds.filter(isFirebaseId))]
  const result = dryRun
    ? await applyDryRun(database, { edit, contactIds, requestedIds })
    : await new Promise<BulkContactOutcome[]>((resolve, reject) => {
        batchesFor(database).submit(editKeyOf(edit), { edit, contactIds, requestedIds, resolve, reject })
      })
  countWrittenRows(result, input.source)
  return result
}

function batchesFor(database: Database): BulkUpdateBatches<QueuedRequest, BulkContactOutcome[]> {
  let batches = batchesOf.get(database)
  if (batches === undefined) {
    batches = new BulkUpdateBatches((take) => applyBatch(database, take))
    batchesOf.set(database, batches)
  }
  return batches
}

/** Requests merge only when everything but their contacts is the same, tag order included (it orders the answer). */
function editKeyOf(edit: Edit): string {
  return JSON.stringify([edit.locationId, edit.operation, edit.removeAllTags, edit.source, edit.tagNames])
}

type RequestedContacts = Pick<QueuedRequest, 'contactIds' | 'requestedIds'>

async function applyDryRun(
  database: Database,
  request: RequestedContacts & { edit: Edit },
): Promise<BulkContactOutcome[]> {
  try {
    return await database.transaction(async (tx) => {
      const [result = []] = await applyEdit(tx, request.edit, [request])
      throw new DryRunRollback(result)
    })
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result
    throw error
  }
}

function applyBatch(
  database: Database,
  take: () => readonly QueuedRequest[],
): Promise<BulkContactOutcome[][]> {
  return database.transaction(async (tx) => {
    const requests = take()
    const first = requests[0]
    if (first === undefined) return []
    return applyEdit(tx, first.edit, requests)
  })
}

/** Applies one edit to the contacts of all `requests` at once, answering each request in order. */
async function applyEdit(
  tx: Db,
  edit: Edit,
  requests: readonly RequestedContacts[],
): Promise<BulkContactOutcome[][]> {
  const now = new Date().toISOString()
  const contactIds = requests.flatMap((request) => request.contactIds)
  const live = await lockLiveContacts(tx, edit.locationId, contactIds)
  const liveSet = new Set(live)
  const unavailable = new Map<string, ContactUnavailability>()
  const homes = await findContactHomes(
    tx,
    contactIds.filter((id) => !liveSet.has(id)),
  )
  for (const home of homes) {
    unavailable.set(home.id, home.location_id !== edit.locationId ? 'other-location' : 'deleted')
  }
  const tagEdit =
    edit.operation === 'add'
      ? { add: edit.tagNames, remove: [] }
      : { add: [], remove: edit.removeAllTags ? ('all' as const) : edit.tagNames }
  const applied = await applyTagEdit(tx, edit.locationId, live, tagEdit, edit.source, now)
  return requests.map((request) => bulkContactOutcomes(request.requestedIds, unavailable, applied))
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
